import { describe, expect, it } from "vitest";
import { promptProblem } from "../../app/core/formats/export/validity";

const user = (content: string) => ({ role: "user" as const, content });
const assistant = (content: string) => ({ role: "assistant" as const, content });
const system = (content: string) => ({ role: "system" as const, content });

describe("prompts a trainer would fail on", () => {
  it("an empty prompt: no messages, or only empty text (TRL's is_conversational indexes prompt[0])", () => {
    expect(promptProblem([], false)).toBe("empty_prompt");
    expect(promptProblem([], true)).toBe("empty_prompt");
    expect(promptProblem([user("  \n")], false)).toBe("empty_prompt");
  });

  it("a prompt of only a system message", () => {
    expect(promptProblem([system("Be kind.")], false)).toBe("system_only_prompt");
    expect(promptProblem([system("Be kind."), system("Be brief.")], true)).toBe("system_only_prompt");
  });

  it("in chat formats, two turns of one role in a row, counting the assistant turn after the prompt", () => {
    expect(promptProblem([user("Hi"), user("Hello?")], true)).toBe("consecutive_roles");
    expect(promptProblem([user("Hi"), assistant("Hello")], true)).toBe("consecutive_roles");
    expect(promptProblem([system("Be kind."), system("Be brief."), user("Hi")], true)).toBe("consecutive_roles");
  });

  it("plain-text formats render repeated roles as text and accept them", () => {
    expect(promptProblem([user("Hi"), user("Hello?")], false)).toBeNull();
    expect(promptProblem([user("Hi"), assistant("Hello")], false)).toBeNull();
  });

  it("accepts ordinary prompts: single turn, multi-turn, a system message in front", () => {
    for (const chat of [false, true]) {
      expect(promptProblem([user("Hi")], chat)).toBeNull();
      expect(promptProblem([user("Hi"), assistant("Hello"), user("Joke?")], chat)).toBeNull();
      expect(promptProblem([system("Be funny."), user("Joke?")], chat)).toBeNull();
    }
  });
});
