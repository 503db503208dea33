import { describe, expect, it } from "vitest";
import { conversationLayout, RECENT_CHARACTERS } from "../../app/components/judging/turns";
import type { ViewMessage } from "../../app/core/tasks/view";

const user = (content: string): ViewMessage => ({ role: "user", content });
const assistant = (content: string): ViewMessage => ({ role: "assistant", content });

describe("conversationLayout", () => {
  it("shows a single user turn as the final turn", () => {
    expect(conversationLayout([user("Hi")])).toEqual({ hidden: [], recent: [], final: [user("Hi")] });
  });

  it("keeps short context before the last user turn in view", () => {
    const messages = [user("what are some pranks with a pen i can do?"), assistant("Are you looking for practical joke ideas?"), user("yep")];
    expect(conversationLayout(messages)).toEqual({ hidden: [], recent: messages.slice(0, 2), final: [user("yep")] });
  });

  it("always shows the turn just before the last, however long, and collapses older turns", () => {
    const long = assistant("x".repeat(RECENT_CHARACTERS * 3));
    const messages = [{ role: "system" as const, content: "Be kind." }, user("a"), assistant("b"), user("c"), long, user("so?")];
    const layout = conversationLayout(messages);
    expect(layout.final).toEqual([user("so?")]);
    expect(layout.recent).toEqual([long]);
    expect(layout.hidden).toEqual(messages.slice(0, 4));
  });

  it("shows at most three earlier turns, however short", () => {
    const messages = [user("1"), assistant("2"), user("3"), assistant("4"), user("5"), assistant("6"), user("7")];
    const layout = conversationLayout(messages);
    expect(layout.recent).toEqual(messages.slice(3, 6));
    expect(layout.hidden).toEqual(messages.slice(0, 3));
  });

  it("stops at the character budget counting from the turn just before the last", () => {
    const half = "y".repeat(RECENT_CHARACTERS / 2);
    const messages = [user(half), assistant(half), user(half), user("last")];
    const layout = conversationLayout(messages);
    expect(layout.recent).toEqual(messages.slice(1, 3));
    expect(layout.hidden).toEqual(messages.slice(0, 1));
  });

  it("keeps an assistant prefill after the last user turn with it", () => {
    const messages = [user("q"), assistant("a"), user("continue"), assistant("Sure, ")];
    expect(conversationLayout(messages).final).toEqual(messages.slice(2));
  });

  it("shows a prompt without user turns as it is", () => {
    const messages: ViewMessage[] = [{ role: "system", content: "only a system prompt" }];
    expect(conversationLayout(messages)).toEqual({ hidden: [], recent: [], final: messages });
    expect(conversationLayout([])).toEqual({ hidden: [], recent: [], final: [] });
  });
});
