import type { ViewMessage } from "~/core/tasks/view";
import { Markdown } from "../markdown";

const ROLE_LABEL: Record<ViewMessage["role"], string> = { system: "System", user: "User", assistant: "Assistant" };

export interface ConversationProps {
  messages: readonly ViewMessage[];
  /** The accessible name of the region; "Prompt" by default. */
  label?: string;
}

/** The prompt as a list of turns with role labels; the system prompt is set apart. */
export function Conversation({ messages, label = "Prompt" }: ConversationProps) {
  return (
    <section className="conversation" aria-label={label} tabIndex={0}>
      {messages.length === 0 && <p className="muted small">No prompt.</p>}
      <ol className="turns">
        {messages.map((m, i) => (
          <li key={i} className={`turn turn-${m.role}`}>
            <span className="turn-role">{ROLE_LABEL[m.role] ?? m.role}</span>
            <Markdown text={m.content} className="turn-content" />
          </li>
        ))}
      </ol>
    </section>
  );
}
