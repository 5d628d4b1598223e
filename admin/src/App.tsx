/** The back office: every screen is registered only for staff whose permissions allow it (and
 * authProvider.canAccess hides buttons the same way); the server checks every request regardless. */
import InventoryIcon from "@mui/icons-material/Inventory2";
import PaymentsIcon from "@mui/icons-material/Payments";
import PeopleIcon from "@mui/icons-material/People";
import ReceiptIcon from "@mui/icons-material/Receipt";
import CategoryIcon from "@mui/icons-material/Category";
import SellIcon from "@mui/icons-material/Sell";
import StoreIcon from "@mui/icons-material/Store";
import BadgeIcon from "@mui/icons-material/Badge";
import HistoryIcon from "@mui/icons-material/History";
import UploadIcon from "@mui/icons-material/UploadFile";
import UndoIcon from "@mui/icons-material/Undo";
import FactoryIcon from "@mui/icons-material/Factory";
import LocalShippingIcon from "@mui/icons-material/LocalShipping";
import TuneIcon from "@mui/icons-material/Tune";
import { Route } from "react-router-dom";
import { Admin, CustomRoutes, Layout, Menu, Resource, usePermissions, type LayoutProps } from "react-admin";
import { authProvider } from "./authProvider";
import { Dashboard } from "./Dashboard";
import { dataProvider } from "./dataProvider";
import { LoginPage } from "./Login";
import { allowed } from "./screens";
import {
  AttributeCreate,
  AttributeEdit,
  AttributeList,
  BrandCreate,
  BrandEdit,
  BrandList,
  CategoryCreate,
  CategoryEdit,
  CategoryList,
  ManufacturerCreate,
  ManufacturerEdit,
  ManufacturerList,
  ProductCreate,
  ProductEdit,
  ProductList,
  ProductShow,
  SupplierCreate,
  SupplierEdit,
  SupplierList,
} from "./resources/catalogue";
import { PaymentList, PaymentShow, RefundList } from "./resources/finance";
import { ImportCsv } from "./resources/imports";
import { InventoryList, InventoryShow } from "./resources/inventory";
import { OrderList, OrderShow } from "./resources/orders";
import { AuditList, CustomerList, CustomerShow, StaffCreate, StaffEdit, StaffList } from "./resources/people";

function AppMenu() {
  const { permissions } = usePermissions<string[]>();
  return (
    <Menu>
      <Menu.DashboardItem />
      <Menu.ResourceItems />
      {allowed(permissions, "imports.csv") && <Menu.Item to="/imports" primaryText="CSV import" leftIcon={<UploadIcon />} />}
    </Menu>
  );
}

const AppLayout = (props: LayoutProps) => <Layout {...props} menu={AppMenu} />;

function resources(permissions: string[] | undefined) {
  const can = (what: string) => allowed(permissions, what);
  return [
    can("orders") && <Resource key="orders" name="orders" options={{ label: "Orders" }} icon={ReceiptIcon} list={OrderList} show={OrderShow} />,
    can("products") && (
      <Resource key="products" name="products" options={{ label: "Products" }} icon={StoreIcon} list={ProductList} show={ProductShow} create={ProductCreate} edit={ProductEdit} />
    ),
    can("categories") && (
      <Resource key="categories" name="categories" options={{ label: "Categories" }} icon={CategoryIcon} list={CategoryList} create={CategoryCreate} edit={CategoryEdit} />
    ),
    can("brands") && <Resource key="brands" name="brands" options={{ label: "Brands" }} icon={SellIcon} list={BrandList} create={BrandCreate} edit={BrandEdit} />,
    can("manufacturers") && (
      <Resource key="manufacturers" name="manufacturers" options={{ label: "Manufacturers" }} icon={FactoryIcon} list={ManufacturerList} create={ManufacturerCreate} edit={ManufacturerEdit} />
    ),
    can("suppliers") && (
      <Resource key="suppliers" name="suppliers" options={{ label: "Suppliers" }} icon={LocalShippingIcon} list={SupplierList} create={SupplierCreate} edit={SupplierEdit} />
    ),
    can("attributes") && (
      <Resource key="attributes" name="attributes" options={{ label: "Attributes" }} icon={TuneIcon} list={AttributeList} create={AttributeCreate} edit={AttributeEdit} />
    ),
    can("inventory") && <Resource key="inventory" name="inventory" options={{ label: "Inventory" }} icon={InventoryIcon} list={InventoryList} show={InventoryShow} />,
    can("customers") && <Resource key="customers" name="customers" options={{ label: "Customers" }} icon={PeopleIcon} list={CustomerList} show={CustomerShow} />,
    can("staff") && <Resource key="staff" name="staff" options={{ label: "Staff" }} icon={BadgeIcon} list={StaffList} create={StaffCreate} edit={StaffEdit} />,
    can("audit") && <Resource key="audit" name="audit" options={{ label: "Audit log" }} icon={HistoryIcon} list={AuditList} />,
    can("payments") && <Resource key="payments" name="payments" options={{ label: "Payments" }} icon={PaymentsIcon} list={PaymentList} show={PaymentShow} />,
    can("refunds") && <Resource key="refunds" name="refunds" options={{ label: "Refunds" }} icon={UndoIcon} list={RefundList} />,
    can("imports.csv") && (
      <CustomRoutes key="imports">
        <Route path="/imports" element={<ImportCsv />} />
      </CustomRoutes>
    ),
  ];
}

export function App() {
  return (
    <Admin
      title="Commerce back office"
      dataProvider={dataProvider}
      authProvider={authProvider}
      loginPage={LoginPage}
      dashboard={Dashboard}
      layout={AppLayout}
      requireAuth
      disableTelemetry
    >
      {resources}
    </Admin>
  );
}
