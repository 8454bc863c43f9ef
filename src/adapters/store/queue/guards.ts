// The queue's state guards, generated from the operation state machine (domain/state.ts): for one
// event, the SQL list of the states it may start from and the state it leads to. They are inlined
// as literals (the states are a closed set of identifiers), so the planner still matches the
// queue's partial indexes (`WHERE state IN ('pending', 'running')`) in generic plans.
import { operationEdge, type OperationEvent } from '../../../domain/state.ts';

const literal = (state: string): string => {
  if (!/^[a-z]+$/.test(state)) throw new Error(`not a state name: ${state}`);
  return `'${state}'`;
};

export function edgeSql(event: OperationEvent): { from: string; to: string } {
  const edge = operationEdge(event);
  return { from: edge.from.map(literal).join(', '), to: literal(edge.to) };
}
