// The heavy-JSON transform in Hono (pinned in package.json), bundled by
// `cargo xtask bench` with esbuild into one ES module for workerd.
import { Hono } from "hono";

const app = new Hono();

app.get("/health", (c) => c.json({ status: "ok" }));

app.post("/transform", async (c) => {
  const records = await c.req.json();
  return c.json(
    records
      .filter((r) => r.active === true)
      .map((r) => ({ id: r.id, name: r.name, total: r.total })),
  );
});

export default app;
