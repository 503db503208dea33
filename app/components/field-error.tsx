/** Field messages by field name, as a 400's `details.fields` carries them. */
export type FieldMessages = Record<string, string>;

/** A field's message under it, with the id its input points at (see `invalidProps`). */
export function FieldError({ name, fields }: { name: string; fields: FieldMessages }) {
  return fields[name] ? (
    <p className="field-error" id={`${name}-error`}>
      {fields[name]}
    </p>
  ) : null;
}

/** Props that mark a field invalid and point at its message. */
export const invalidProps = (name: string, fields: FieldMessages) => (fields[name] ? { "aria-invalid": true, "aria-describedby": `${name}-error` } : {});
