"use client";
import { createContext, useContext, type ReactNode } from "react";

/**
 * The signed-in user's role, for the pages: viewers get a read-only console (the server
 * refuses their mutations with 403 anyway; this only keeps the controls out of reach).
 */
const RoleContext = createContext<string | null>(null);

export function RoleProvider({ role, children }: { role: string; children: ReactNode }) {
  return <RoleContext.Provider value={role}>{children}</RoleContext.Provider>;
}

/** True for viewers: hide or disable every control that changes the config. */
export function useReadOnly(): boolean {
  return useContext(RoleContext) === "viewer";
}
