export * from "./request";
export * from "./response";
export * from "./retry";
export * from "./progress";
