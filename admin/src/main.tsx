import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { setApiUrl } from "./api";
import { App } from "./App";
import { loadConfig } from "./config";

const root = createRoot(document.getElementById("root") as HTMLElement);

loadConfig().then(
  (config) => {
    setApiUrl(config.apiUrl);
    root.render(
      <StrictMode>
        <App />
      </StrictMode>,
    );
  },
  (error: unknown) => {
    root.render(
      <p role="alert" style={{ fontFamily: "sans-serif", padding: 24 }}>
        The back office cannot start: {error instanceof Error ? error.message : String(error)}
      </p>,
    );
  },
);
