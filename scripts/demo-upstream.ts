/**
 * `npm run demo:upstream -- [--port 8788] [--host 127.0.0.1] [--delay 15]`: the demo upstream
 * (tools/fakes/demo-upstream.ts) on its own, until Ctrl-C.
 */
import { DEMO_MODEL, startDemoUpstream } from "../tools/fakes/demo-upstream";

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};

const demo = await startDemoUpstream({ port: Number(arg("port") ?? 8788), host: arg("host"), delayMs: arg("delay") ? Number(arg("delay")) : undefined });
console.log(`demo upstream (model "${DEMO_MODEL}", NOT GPT-4.1) listening on ${demo.url}`);
console.log(`point the worker at it: AZURE_OPENAI_ENDPOINT=${demo.url} (any AZURE_OPENAI_API_KEY)`);
console.log(`or as an OpenAI-compatible endpoint: UPSTREAM=openai OPENAI_BASE_URL=${demo.url}v1 OPENAI_MODEL=${DEMO_MODEL} (no key needed)`);
const stop = () => void demo.close().then(() => process.exit(0));
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
