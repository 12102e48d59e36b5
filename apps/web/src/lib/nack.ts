/**
 * A node's refusal as the console stores it (the hub's `nackText`): the error on the
 * first line, then one `path: message` line per issue (at most five, then "(+N more)").
 */
export type TNackIssue = { path: string; message: string };

const ISSUE_LINE = /^([A-Za-z_$][\w$-]*(?:\[\d+\]|\.[A-Za-z_$][\w$-]*)*): (.+)$/;

export function parseNackText(text: string): { error: string; issues: TNackIssue[]; more: number } {
  const [error = "", ...rest] = text.split("\n");
  const issues: TNackIssue[] = [];
  let more = 0;
  for (const line of rest) {
    const plus = /^\(\+(\d+) more\)$/.exec(line);
    if (plus) more = Number(plus[1]);
    const m = ISSUE_LINE.exec(line);
    if (m) issues.push({ path: m[1]!, message: m[2]! });
    else if (!plus && line.trim()) issues.push({ path: "", message: line });
  }
  return { error, issues, more };
}
