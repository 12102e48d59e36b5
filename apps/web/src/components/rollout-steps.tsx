"use client";

/**
 * A stepped rollout at a glance: one box per step (done, serving now, to come), the
 * current step's bake (time left, or what promotion waits for), and which of the group's
 * nodes the current step serves the new version to.
 */
type TBake = { step: number; steps: number; percent: number; bakeMs: number; remainingMs: number; promote: boolean; waiting: string | null };
type TStepNode = { id: string; connected: boolean; appliedVersion: number | null; targetVersion: number | null; position: number; onRolloutVersion: boolean };

export function RolloutSteps({
  steps,
  stepIndex,
  state,
  version,
  previousVersion,
  bake,
  nodes,
}: {
  steps: number[];
  stepIndex: number;
  state: string;
  version: number;
  previousVersion: number | null;
  bake: TBake | null;
  nodes: TStepNode[];
}) {
  const finished = state !== "canary";
  const serving = nodes.filter((n) => n.onRolloutVersion).length;
  return (
    <div data-testid="rollout-steps">
      <ol className="steps" aria-label="Steps">
        {steps.map((p, i) => {
          const status = state === "promoted" || (!finished && i < stepIndex) ? "done" : !finished && i === stepIndex ? "current" : finished && i <= stepIndex ? "stopped" : "todo";
          return (
            <li key={p} className={`step step-${status}`} data-step-status={status} aria-current={status === "current" ? "step" : undefined}>
              <strong>{p}%</strong>
              <span className="small">{status === "done" ? "held" : status === "current" ? "serving" : status === "stopped" ? state.replace("_", " ") : "to come"}</span>
            </li>
          );
        })}
      </ol>
      {bake && (
        <p className="small" data-testid="rollout-bake">
          Step {bake.step} of {bake.steps} ({bake.percent}% of the group, {serving} of {nodes.length} nodes on v{version}): bakes {Math.round(bake.bakeMs / 1000)} s —{" "}
          {bake.waiting?.startsWith("baking") ? `${Math.ceil(bake.remainingMs / 1000)} s of bake left` : (bake.waiting ?? "promoting now")}.
        </p>
      )}
      <table className="table">
        <caption className="small muted">
          Nodes below the step&apos;s cut (by position, a hash of the node id) serve v{version}; the others stay on v{previousVersion ?? "—"}.
        </caption>
        <thead>
          <tr>
            <th scope="col">Node</th>
            <th scope="col">Position</th>
            <th scope="col">Serves</th>
            <th scope="col">Applied</th>
          </tr>
        </thead>
        <tbody>
          {[...nodes]
            .sort((a, b) => a.position - b.position)
            .map((n) => (
              <tr key={n.id} data-node-id={n.id} data-on-rollout={n.onRolloutVersion ? "yes" : "no"}>
                <td>
                  <strong>{n.id}</strong> {!n.connected && <span className="muted small">(disconnected)</span>}
                </td>
                <td className="mono small">{n.position.toFixed(4)}</td>
                <td>{n.onRolloutVersion ? <span className="tag tag-warn">v{n.targetVersion} (this rollout)</span> : <span className="tag">v{n.targetVersion ?? "—"}</span>}</td>
                <td>v{n.appliedVersion ?? "—"}</td>
              </tr>
            ))}
        </tbody>
      </table>
    </div>
  );
}
