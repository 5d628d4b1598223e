/** The dashboard: today's orders and revenue, orders by status, payment declines, flagged orders
 * and low stock, from GET /admin/dashboard (VIEW_REPORTS). Staff without that permission see what
 * their screens are instead. */
import { useEffect, useState } from "react";
import Alert from "@mui/material/Alert";
import Card from "@mui/material/Card";
import CardContent from "@mui/material/CardContent";
import Grid from "@mui/material/Grid";
import Typography from "@mui/material/Typography";
import { Title, useGetIdentity, usePermissions } from "react-admin";
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { Link } from "react-router-dom";
import { ApiError, request } from "./api";
import { money } from "./format";
import { allowed, RESOURCES } from "./screens";

type Bag = Record<string, unknown>;

/** `{a: 1, b: 2}` or `[{status: "a", count: 1}]` -> `[{name: "a", value: 1}]` */
export function pairs(value: unknown, nameKey = "status", valueKey = "count"): { name: string; value: number }[] {
  if (Array.isArray(value)) {
    return value.map((item: Bag) => ({ name: String(item[nameKey] ?? item.name ?? ""), value: Number(item[valueKey] ?? item.value ?? 0) }));
  }
  if (value && typeof value === "object") {
    return Object.entries(value as Bag).map(([name, n]) => ({ name, value: Number(n) }));
  }
  return [];
}

/** Amounts per currency ({EUR: 12300}) in the dashboard's currency (EUR unless only another). */
function inCurrency(amounts: unknown): { currency: string; amount: number } {
  const all = (amounts ?? {}) as Record<string, number>;
  const currency = "EUR" in all || !Object.keys(all).length ? "EUR" : Object.keys(all)[0];
  return { currency, amount: all[currency] ?? 0 };
}

function Stat({ label, value, testId }: { label: string; value: React.ReactNode; testId: string }) {
  return (
    <Card variant="outlined" sx={{ height: "100%" }}>
      <CardContent>
        <Typography color="text.secondary">{label}</Typography>
        <Typography variant="h4" data-testid={testId}>
          {value}
        </Typography>
      </CardContent>
    </Card>
  );
}

interface DashboardData {
  today: Bag & { orders: number; revenue: Record<string, number>; payment_declines: number; cancelled: number };
  orders_by_status: Record<string, number>;
  flagged_waiting: { total: number; in_review: number; fulfilment_exception: number; attention: number };
  low_stock: Bag[];
  low_stock_count: number;
  charts: { today_by_hour: Bag[]; last_14_days: Bag[] };
}

function Chart({ title, children }: { title: string; children: React.ReactElement }) {
  return (
    <Card variant="outlined">
      <CardContent>
        <Typography variant="h6">{title}</Typography>
        <ResponsiveContainer width="100%" height={240}>
          {children}
        </ResponsiveContainer>
      </CardContent>
    </Card>
  );
}

/** GET /admin/dashboard (commerce.reports.models.Dashboard). */
function Reports() {
  const { permissions } = usePermissions<string[]>();
  const [data, setData] = useState<DashboardData | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    request<DashboardData>("/admin/dashboard").then(setData, (e: unknown) =>
      setError(e instanceof ApiError || e instanceof Error ? e.message : String(e)),
    );
  }, []);
  if (error) return <Alert severity="info" data-testid="route-unavailable">{error}</Alert>;
  if (!data) return <Typography>Loading...</Typography>;
  const revenue = inCurrency(data.today?.revenue);
  const currency = revenue.currency;
  const hourly = (data.charts?.today_by_hour ?? []).map((h) => ({
    hour: String(h.hour),
    orders: Number(h.orders ?? 0),
    revenue: inCurrency(h.revenue).amount / 100,
  }));
  const daily = (data.charts?.last_14_days ?? []).map((d) => ({
    date: String(d.date).slice(5),
    orders: Number(d.orders ?? 0),
    declines: Number(d.payment_declines ?? 0),
    revenue: inCurrency(d.revenue).amount / 100,
  }));
  const byStatus = pairs(data.orders_by_status).filter((p) => p.value > 0);
  const flagged = data.flagged_waiting ?? { total: 0, in_review: 0, fulfilment_exception: 0, attention: 0 };
  return (
    <Grid container spacing={2}>
      <Grid size={{ xs: 6, md: 2.4 }}>
        <Stat label="Orders today" value={data.today?.orders ?? 0} testId="orders-today" />
      </Grid>
      <Grid size={{ xs: 6, md: 2.4 }}>
        <Stat label="Revenue today" value={money(revenue.amount, currency)} testId="revenue-today" />
      </Grid>
      <Grid size={{ xs: 6, md: 2.4 }}>
        <Stat label="Payment declines today" value={data.today?.payment_declines ?? 0} testId="declines" />
      </Grid>
      <Grid size={{ xs: 6, md: 2.4 }}>
        <Stat
          label={`Waiting for staff (${flagged.in_review} in review, ${flagged.fulfilment_exception} exceptions)`}
          value={flagged.total}
          testId="flagged"
        />
      </Grid>
      <Grid size={{ xs: 6, md: 2.4 }}>
        <Stat label="SKUs low on stock" value={data.low_stock_count ?? 0} testId="low-stock-count" />
      </Grid>
      <Grid size={{ xs: 12, md: 6 }}>
        <Chart title="Today, per hour (UTC)">
          <BarChart data={hourly}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="hour" />
            <YAxis yAxisId="orders" allowDecimals={false} />
            <YAxis yAxisId="revenue" orientation="right" />
            <Tooltip />
            <Legend />
            <Bar yAxisId="orders" dataKey="orders" name="Orders" fill="#1976d2" />
            <Bar yAxisId="revenue" dataKey="revenue" name={`Revenue (${currency})`} fill="#2e7d32" />
          </BarChart>
        </Chart>
      </Grid>
      <Grid size={{ xs: 12, md: 6 }}>
        <Chart title="Last 14 days">
          <LineChart data={daily}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="date" />
            <YAxis yAxisId="orders" allowDecimals={false} />
            <YAxis yAxisId="revenue" orientation="right" />
            <Tooltip />
            <Legend />
            <Line yAxisId="orders" dataKey="orders" name="Orders" stroke="#1976d2" />
            <Line yAxisId="orders" dataKey="declines" name="Declines" stroke="#d32f2f" />
            <Line yAxisId="revenue" dataKey="revenue" name={`Revenue (${currency})`} stroke="#2e7d32" />
          </LineChart>
        </Chart>
      </Grid>
      <Grid size={{ xs: 12, md: 6 }}>
        <Chart title="Orders by status">
          <BarChart data={byStatus} layout="vertical" margin={{ left: 60 }}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis type="number" allowDecimals={false} />
            <YAxis type="category" dataKey="name" width={150} />
            <Tooltip />
            <Bar dataKey="value" name="Orders" fill="#1976d2" />
          </BarChart>
        </Chart>
      </Grid>
      <Grid size={{ xs: 12, md: 6 }}>
        <Card variant="outlined" sx={{ height: "100%" }}>
          <CardContent>
            <Typography variant="h6">Low stock (fewest first)</Typography>
            {(data.low_stock ?? []).length === 0 ? (
              <Typography color="text.secondary">Nothing is low.</Typography>
            ) : (
              (data.low_stock ?? []).map((s) => (
                <Typography key={String(s.sku)} data-testid="low-stock">
                  {allowed(permissions, "inventory") ? <Link to={`/inventory/${String(s.sku)}/show`}>{String(s.sku)}</Link> : String(s.sku)}:{" "}
                  {String(s.available)} available
                  (threshold {String(s.low_stock_threshold)})
                </Typography>
              ))
            )}
          </CardContent>
        </Card>
      </Grid>
    </Grid>
  );
}

export function Dashboard() {
  const { permissions } = usePermissions<string[]>();
  const { identity } = useGetIdentity();
  const screens = Object.entries(RESOURCES).filter(([name]) => allowed(permissions, name));
  return (
    <Card>
      <Title title="Dashboard" />
      <CardContent>
        <Typography variant="h5" gutterBottom>
          Welcome{identity?.fullName ? `, ${identity.fullName}` : ""}
        </Typography>
        {allowed(permissions, "dashboard") ? (
          <Reports />
        ) : (
          <Typography data-testid="your-screens">
            Your screens: {screens.map(([, s]) => s.label).join(", ") || "none"}.
          </Typography>
        )}
      </CardContent>
    </Card>
  );
}
