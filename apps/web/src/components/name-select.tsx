"use client";
import { useState } from "react";
import { Field } from "./field.tsx";

const NEW = "__new__";

/**
 * Pick an existing name or type a new one (a route may create its route config or
 * virtual host). A <select> while the name exists, plus a text input for "New…".
 */
export function NameSelect(props: {
  id: string;
  label: string;
  options: string[];
  value: string;
  onChange: (value: string) => void;
  errors?: string[];
  newLabel: string;
}) {
  const known = props.options.includes(props.value);
  const [typing, setTyping] = useState(!known);
  const showInput = typing || !known;
  return (
    <Field label={props.label} htmlFor={props.id} errors={props.errors}>
      {props.options.length > 0 && (
        <select
          id={showInput ? `${props.id}-select` : props.id}
          aria-label={showInput ? `${props.label} (choose)` : undefined}
          value={showInput ? NEW : props.value}
          onChange={(e) => {
            if (e.target.value === NEW) {
              setTyping(true);
              props.onChange("");
            } else {
              setTyping(false);
              props.onChange(e.target.value);
            }
          }}
        >
          {props.options.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
          <option value={NEW}>{props.newLabel}</option>
        </select>
      )}
      {showInput && (
        <input
          id={props.id}
          className={props.options.length ? "stacked" : undefined}
          value={props.value}
          onChange={(e) => props.onChange(e.target.value)}
          placeholder="name"
          autoComplete="off"
        />
      )}
    </Field>
  );
}
