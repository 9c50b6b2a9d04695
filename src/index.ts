import { Hono } from "hono";
const app = new Hono<{ Bindings: Env }>();
app.get("/health", (c) => c.json({ status: "healthy", timestamp: new Date().toISOString() }));
export default app;
