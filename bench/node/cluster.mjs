// PostGraphile v5 in library mode, one Node worker per core, as anyone deploying it on N cores
// would (the v5 CLI runs a single process). The primary forks BENCH_WORKERS workers; each builds
// the Amber preset over the database and listens on the shared port (node:cluster balances).
//
//   node cluster.mjs DATABASE_URL PORT WORKERS
import cluster from "node:cluster";
import { createServer } from "node:http";

const [connectionString, port, workers] = process.argv.slice(2);

if (cluster.isPrimary) {
  for (let i = 0; i < Number(workers || 1); i++) cluster.fork();
  cluster.on("exit", (worker, code) => {
    console.error(`worker ${worker.process.pid} exited with ${code}`);
    process.exit(1);
  });
  for (const signal of ["SIGTERM", "SIGINT"]) {
    process.on(signal, () => {
      for (const worker of Object.values(cluster.workers)) worker.kill();
      process.exit(0);
    });
  }
} else {
  const { postgraphile } = await import("postgraphile");
  const { PostGraphileAmberPreset } = await import("postgraphile/presets/amber");
  const { makePgService } = await import("postgraphile/adaptors/pg");
  const { grafserv } = await import("postgraphile/grafserv/node");
  const pgl = postgraphile({
    extends: [PostGraphileAmberPreset],
    pgServices: [makePgService({ connectionString, schemas: ["public"] })],
    grafserv: { port: Number(port), host: "127.0.0.1" },
  });
  const serv = pgl.createServ(grafserv);
  const server = createServer();
  serv.addTo(server);
  await serv.ready?.();
  server.listen(Number(port), "127.0.0.1");
}
