// `npm start`: build when the sources changed since the last successful build, then serve.
import { ensureBuild, reportBuildFailure } from "./build.js";

const ready = await ensureBuild().then(
  () => true,
  (error) => {
    reportBuildFailure(error);
    console.error("the server was not started");
    return false;
  },
);
if (ready) await import("../server.js");
