import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * Docs travel with the repository (issue #16): a clone has nothing beside it, so no
 * Markdown file may link outside the repository, and every relative link must resolve.
 */
const ROOT = resolve(import.meta.dirname, "../..");
const files = execFileSync("git", ["ls-files", "-co", "--exclude-standard", "*.md"], { cwd: ROOT, encoding: "utf8" })
  .split("\n")
  .filter((f) => f && existsSync(join(ROOT, f)));

function links(text: string): string[] {
  // Inline links and images, outside code blocks.
  const prose = text.replace(/```[\s\S]*?```/g, "");
  return [...prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]!);
}

describe.each(files)("%s", (file) => {
  it("links only inside the repository, to files that exist", () => {
    const bad: string[] = [];
    for (const link of links(readFileSync(join(ROOT, file), "utf8"))) {
      if (/^[a-z]+:/i.test(link) || link.startsWith("#")) continue;
      const target = resolve(dirname(join(ROOT, file)), link.split("#")[0]!);
      const rel = relative(ROOT, target);
      if (rel.startsWith("..")) bad.push(`${link}: outside the repository`);
      else if (!existsSync(target)) bad.push(`${link}: no such file`);
    }
    expect(bad).toEqual([]);
  });
});
