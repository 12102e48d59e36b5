"use client";
import { headerAddRow, type THeaderMutationForm } from "../lib/route-form.ts";
import { Field } from "./field.tsx";
import { FormRows, rowCell } from "./form-rows.tsx";

/** Request or response header changes: rows to add (name, value, append) and names to remove. */
export function HeaderMutationEditor(props: {
  id: string;
  label: "Request" | "Response";
  value: THeaderMutationForm;
  onChange: (m: THeaderMutationForm) => void;
  addErrors: (index: number) => string[];
  removeErrors: string[];
}) {
  const { id, label, value: m, onChange: setM } = props;
  const lower = label.toLowerCase();
  const cell = (field: "name" | "value" | "append", opts?: { mono?: boolean; type?: "checkbox" }) => rowCell(m.add, (add) => setM({ ...m, add }), field, (i) => `${label} header ${i + 1} ${field}`, opts);
  return (
    <div className="subsection">
      <FormRows
        id={`${id}-add`}
        legend={`${label} headers to add`}
        noun={`${lower} header`}
        rows={m.add}
        onChange={(add) => setM({ ...m, add })}
        make={headerAddRow}
        addLabel={`Add ${lower} header`}
        errorsOf={props.addErrors}
        columns={[
          { header: "Name", cell: cell("name", { mono: true }) },
          { header: "Value", cell: cell("value") },
          { header: "Append", cell: cell("append", { type: "checkbox" }) },
        ]}
        hint="Append off (default): the value replaces an existing one."
      />
      <Field label={`${label} headers to remove`} htmlFor={`${id}-remove`} errors={props.removeErrors} hint="Comma-separated names; default none">
        <input id={`${id}-remove`} className="mono" value={m.remove} onChange={(e) => setM({ ...m, remove: e.target.value })} placeholder="x-debug, server" />
      </Field>
    </div>
  );
}
