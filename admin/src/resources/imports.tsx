/** CSV import: pick a file, check it here (a .csv with the required header columns), send it to
 * POST /admin/catalogue/imports/csv, show the per-row report and follow the import's progress
 * through GET /admin/catalogue/imports/{import_id}. */
import { useRef, useState } from "react";
import Alert from "@mui/material/Alert";
import Box from "@mui/material/Box";
import Card from "@mui/material/Card";
import CardContent from "@mui/material/CardContent";
import LinearProgress from "@mui/material/LinearProgress";
import Table from "@mui/material/Table";
import TableBody from "@mui/material/TableBody";
import TableCell from "@mui/material/TableCell";
import TableHead from "@mui/material/TableHead";
import TableRow from "@mui/material/TableRow";
import Typography from "@mui/material/Typography";
import { Button, Title } from "react-admin";
import { ApiError, request } from "../api";
import { newKey } from "../common";
import { checkCsv } from "../validation";

type Row = Record<string, unknown>;

/** POST /admin/catalogue/imports/csv answers the file's check (`problems`: one per bad row, rows
 * numbered as a spreadsheet shows them, the header being row 1); GET .../imports/{id} the progress
 * (`row_problems` adds the rows of products the workflow then refused). */
interface Report {
  import_id?: string;
  status?: string;
  message?: string;
  rows?: Record<string, number>;
  counts?: Record<string, number>;
  problems?: Row[];
  row_problems?: Row[];
  problems_total?: number;
}

const text = (value: unknown) => (value === undefined || value === null ? "" : String(value));

const tally = (counts: Record<string, number> | undefined) =>
  Object.entries(counts ?? {})
    .map(([k, v]) => `${k.replaceAll("_", " ")}: ${v}`)
    .join(", ");

export function ImportCsv() {
  const input = useRef<HTMLInputElement>(null);
  const [problems, setProblems] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [report, setReport] = useState<Report | null>(null);
  const [progress, setProgress] = useState<Report | null>(null);
  const [busy, setBusy] = useState(false);

  const follow = async (importId: string) => {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const status = await request<Report>(`/admin/catalogue/imports/${encodeURIComponent(importId)}`);
      setProgress(status);
      if (status.status !== "RUNNING" || Date.now() > deadline) return;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  };

  const send = async () => {
    setError(null);
    setReport(null);
    setProgress(null);
    const file = input.current?.files?.[0];
    if (!file) {
      setProblems(["Choose a CSV file first."]);
      return;
    }
    const body = await file.text();
    const found = checkCsv(file.name, body);
    setProblems(found);
    if (found.length) return;
    setBusy(true);
    try {
      const answer = await request<Report>("/admin/catalogue/imports/csv", {
        method: "POST",
        body,
        contentType: "text/csv",
        headers: { "Idempotency-Key": newKey() },
      });
      setReport(answer);
      if (answer.import_id && (answer.status === undefined || answer.status === "RUNNING")) {
        await follow(answer.import_id);
      }
    } catch (failure) {
      setError(failure instanceof ApiError || failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };

  // The progress's row problems include the file's own; before it arrives, the check's.
  const rowProblems = progress?.row_problems ?? report?.problems ?? [];
  const status = progress?.status ?? report?.status;
  return (
    <Card>
      <Title title="Import products from CSV" />
      <CardContent>
        <Typography gutterBottom>
          One row per SKU under a header row: <code>product_id</code>, <code>name</code>, <code>brand</code>,{" "}
          <code>category</code>, <code>sku</code>, <code>variant_name</code>, <code>price</code> (minor units, or{" "}
          <code>199.00 EUR</code>), <code>weight_grams</code>, and optionally <code>description</code>,{" "}
          <code>barcode</code>, <code>attributes</code>... Every row is checked; rows with problems are reported and
          not imported, the others are.
        </Typography>
        <Box sx={{ display: "flex", gap: 2, alignItems: "center", my: 2 }}>
          <input ref={input} type="file" accept=".csv,text/csv" data-testid="csv-file" />
          <Button label="Import" onClick={send} disabled={busy} variant="contained" data-testid="csv-import" />
        </Box>
        {busy && <LinearProgress />}
        {problems.length > 0 && (
          <Alert severity="warning" data-testid="csv-problems">
            {problems.map((p) => (
              <div key={p}>{p}</div>
            ))}
          </Alert>
        )}
        {error && (
          <Alert severity="error" data-testid="csv-error">
            {error}
          </Alert>
        )}
        {(report || progress) && (
          <Box data-testid="csv-report" sx={{ mt: 2 }}>
            <Typography variant="h6" data-testid="csv-status">
              Import {text(report?.import_id ?? progress?.import_id)}: {text(status)}
            </Typography>
            {report?.message && <Typography>{report.message}</Typography>}
            <Typography data-testid="csv-counts">
              Rows: {tally(progress?.rows ?? report?.rows)}
              {progress?.counts ? `; products: ${tally(progress.counts)}` : ""}
            </Typography>
            {rowProblems.length > 0 && (
              <Table size="small">
                <TableHead>
                  <TableRow>
                    <TableCell>Row</TableCell>
                    <TableCell>Column</TableCell>
                    <TableCell>Product / SKU</TableCell>
                    <TableCell>Problem</TableCell>
                  </TableRow>
                </TableHead>
                <TableBody>
                  {rowProblems.map((p, i) => (
                    <TableRow key={i} data-testid="csv-row">
                      <TableCell>{text(p.row)}</TableCell>
                      <TableCell>{text(p.column)}</TableCell>
                      <TableCell>{[p.product_id, p.sku].filter(Boolean).join(" / ")}</TableCell>
                      <TableCell>{text(p.reason)}</TableCell>
                    </TableRow>
                  ))}
                </TableBody>
              </Table>
            )}
            {(report?.problems_total ?? 0) > rowProblems.length && (
              <Typography color="text.secondary">
                {report?.problems_total} problems in all; the first {rowProblems.length} are shown.
              </Typography>
            )}
          </Box>
        )}
      </CardContent>
    </Card>
  );
}
