import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The bundle is served from /admin/ by the local cloud and from / by CloudFront: relative asset
// URLs (base "./") and hash routing (react-admin's default) make one build work under both.
// `npm run dev` (hot reload) takes its config.json from a running `make dev` (the API allows any origin).
const api = process.env.ADMIN_API_URL ?? "http://127.0.0.1:3000";

export default defineConfig({
  base: "./",
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 4096,
  },
  server: {
    proxy: { "/config.json": { target: api, rewrite: () => "/admin/config.json" } },
  },
});
