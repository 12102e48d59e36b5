"use client";
import { headerAddRow, type THeaderMutationForm } from "../lib/route-form.ts";
import { Field } from "./field.tsx";
import { FormRows } from "./form-rows.tsx";

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
  const patch = (k: number, p: Partial<THeaderMutationForm["add"][number]>) => setM({ ...m, add: m.add.map((r) => (r.key === k ? { ...r, ...p } : r)) });
  const lower = label.toLowerCase();
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
          { header: "Name", cell: (r, i) => <input aria-label={`${label} header ${i + 1} name`} className="mono" value={r.name} onChange={(e) => patch(r.key, { name: e.target.value })} /> },
          { header: "Value", cell: (r, i) => <input aria-label={`${label} header ${i + 1} value`} value={r.value} onChange={(e) => patch(r.key, { value: e.target.value })} /> },
          { header: "Append", cell: (r, i) => <input type="checkbox" aria-label={`${label} header ${i + 1} append`} checked={r.append} onChange={(e) => patch(r.key, { append: e.target.checked })} /> },
        ]}
        hint="Append off (default): the value replaces an existing one."
      />
      <Field label={`${label} headers to remove`} htmlFor={`${id}-remove`} errors={props.removeErrors} hint="Comma-separated names; default none">
        <input id={`${id}-remove`} className="mono" value={m.remove} onChange={(e) => setM({ ...m, remove: e.target.value })} placeholder="x-debug, server" />
      </Field>
    </div>
  );
}
