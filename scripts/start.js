// `npm start`: build when the sources changed since the last build, then serve.
import { ensureBuild } from "./build.js";

await ensureBuild();
await import("../server.js");
