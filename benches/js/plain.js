// The heavy-JSON transform as a plain JavaScript Worker (no framework):
// POST /transform with an array of records answers the active ones as
// {id, name, total}. Same transform as benches/anyedge-transform.
export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/transform" && request.method === "POST") {
      const records = await request.json();
      const out = [];
      for (const r of records) {
        if (r.active === true) out.push({ id: r.id, name: r.name, total: r.total });
      }
      return Response.json(out);
    }
    if (url.pathname === "/health") return Response.json({ status: "ok" });
    return Response.json({ status: 404, title: "Not Found" }, { status: 404 });
  },
};
