import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { setUpTempDatabase } from "./helpers";

setUpTempDatabase();
const { connection, closeConnection } = await import("~/services/database.server");
const { createUser } = await import("~/services/users.server");
const { getUser, logIn, logOut, requireRole, requireUser, resetLoginThrottle } = await import("~/services/auth.server");
const { ServiceError } = await import("~/services/errors.server");

afterAll(() => closeConnection());
beforeEach(() => resetLoginThrottle());

await createUser({ username: "admin", role: "admin", password: "admin password 1" });
await createUser({ username: "rita", role: "reviewer", password: "reviewer password 1" });

const request = (url = "http://localhost/login", headers: Record<string, string> = {}) => new Request(url, { headers });
const withCookie = (setCookie: string, url = "http://localhost/admin/datasets") =>
  request(url, { Cookie: setCookie.split(";")[0]! });

async function failure(promise: Promise<unknown>): Promise<InstanceType<typeof ServiceError>> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ServiceError);
  return error as InstanceType<typeof ServiceError>;
}

describe("sessions", () => {
  it("signs in with an httpOnly, SameSite=Lax cookie whose token is stored only as a hash", async () => {
    const { user, setCookie } = await logIn(request(), { username: "Admin", password: "admin password 1", address: "10.0.0.1" });
    expect(user.username).toBe("admin");
    expect(setCookie).toMatch(/^verdict_session=[^;]+; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Lax$/);
    const token = decodeURIComponent(setCookie.split(";")[0]!.split("=")[1]!);
    const stored = connection().sqlite.prepare("SELECT id, expires_at FROM sessions").all() as Array<{ id: string; expires_at: number }>;
    expect(stored.some((s) => s.id === token || s.id.includes(token))).toBe(false);
    expect(stored.every((s) => /^[0-9a-f]{64}$/.test(s.id))).toBe(true);
    // Seven days by default.
    expect(stored.at(-1)!.expires_at - Date.now()).toBeGreaterThan(6.9 * 24 * 3600_000);
    expect((await getUser(withCookie(setCookie)))?.username).toBe("admin");
  });

  it("marks the cookie Secure behind HTTPS", async () => {
    const direct = await logIn(request("https://verdict.example/login"), { username: "admin", password: "admin password 1", address: "a" });
    expect(direct.setCookie).toContain("; Secure");
    const proxied = await logIn(request("http://localhost/login", { "X-Forwarded-Proto": "https" }), { username: "admin", password: "admin password 1", address: "a" });
    expect(proxied.setCookie).toContain("; Secure");
  });

  it("starts a new session id at every sign-in and ends the one the browser held", async () => {
    const first = await logIn(request(), { username: "rita", password: "reviewer password 1", address: "a" });
    // Signing in again (as someone else, on the same browser) rotates the id: the old cookie is dead.
    const second = await logIn(withCookie(first.setCookie, "http://localhost/login"), { username: "admin", password: "admin password 1", address: "a" });
    expect(second.setCookie.split(";")[0]).not.toBe(first.setCookie.split(";")[0]);
    expect(await getUser(withCookie(first.setCookie))).toBeNull();
    expect((await getUser(withCookie(second.setCookie)))?.username).toBe("admin");
  });

  it("logs out by deleting the session, so a kept cookie is dead", async () => {
    const { setCookie } = await logIn(request(), { username: "rita", password: "reviewer password 1", address: "a" });
    const cleared = await logOut(withCookie(setCookie));
    expect(cleared).toMatch(/^verdict_session=; Max-Age=0; Path=\/; HttpOnly; SameSite=Lax$/);
    expect(await getUser(withCookie(setCookie))).toBeNull();
  });

  it("refuses an expired session", async () => {
    const { setCookie } = await logIn(request(), { username: "rita", password: "reviewer password 1", address: "a" });
    connection().sqlite.prepare("UPDATE sessions SET expires_at = ?").run(Date.now() - 1);
    expect(await getUser(withCookie(setCookie))).toBeNull();
  });
});

describe("guards", () => {
  it("sends anonymous users to /login and back", async () => {
    const thrown = await requireUser(request("http://localhost/admin/datasets?x=1")).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(Response);
    expect((thrown as Response).status).toBe(302);
    expect((thrown as Response).headers.get("Location")).toBe("/login?redirectTo=%2Fadmin%2Fdatasets%3Fx%3D1");
  });

  it("answers 403 to a reviewer on an admin page", async () => {
    const { setCookie } = await logIn(request(), { username: "rita", password: "reviewer password 1", address: "a" });
    const thrown = await requireRole(withCookie(setCookie), "admin").catch((e: unknown) => e);
    expect((thrown as Response).status).toBe(403);
    expect(await (thrown as Response).json()).toEqual({ error: { code: "forbidden", message: "This page is for admins only." } });
    const admin = await logIn(request(), { username: "admin", password: "admin password 1", address: "a" });
    expect((await requireRole(withCookie(admin.setCookie), "admin")).username).toBe("admin");
  });
});

describe("login failures", () => {
  it("says the same for an unknown user and a wrong password", async () => {
    const unknown = await failure(logIn(request(), { username: "nobody", password: "whatever", address: "b" }));
    const wrong = await failure(logIn(request(), { username: "rita", password: "wrong", address: "b" }));
    expect(unknown.message).toBe("Wrong username or password.");
    expect(wrong.message).toBe(unknown.message);
    expect(wrong.status).toBe(401);
  });

  it("locks an account after 5 failures, even for the right password and from another address", async () => {
    for (let i = 0; i < 5; i++) await failure(logIn(request(), { username: "rita", password: `guess ${i}`, address: `10.1.0.${i}` }));
    const locked = await failure(logIn(request(), { username: "rita", password: "reviewer password 1", address: "10.9.9.9" }));
    expect(locked.status).toBe(429);
    expect(locked.message).toBe("Too many failed sign-ins. Try again in 15 minutes.");
    // Another account is not affected.
    expect((await logIn(request(), { username: "admin", password: "admin password 1", address: "10.9.9.9" })).user.username).toBe("admin");
  });

  it("limits one address trying many accounts", async () => {
    for (let i = 0; i < 20; i++) await failure(logIn(request(), { username: `user${i}`, password: "x", address: "203.0.113.7" }));
    const blocked = await failure(logIn(request(), { username: "admin", password: "admin password 1", address: "203.0.113.7" }));
    expect(blocked.status).toBe(429);
    expect((await logIn(request(), { username: "admin", password: "admin password 1", address: "203.0.113.8" })).user.username).toBe("admin");
  });

  it("refuses disabled accounts", async () => {
    await createUser({ username: "gone", role: "reviewer", password: "gone password 1" });
    connection().sqlite.prepare("UPDATE users SET disabled = 1 WHERE username = 'gone'").run();
    expect((await failure(logIn(request(), { username: "gone", password: "gone password 1", address: "c" }))).status).toBe(401);
  });
});
