/**
 * How many sources one source-account stack holds. CloudFormation allows 500 resources per stack
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html), and
 * CDK refuses a larger stack at synth. A source costs one custom resource for its stream statement
 * and, with the stream watch, one more for its table statement; the provider costs its function,
 * role, policy and log group, and CDK adds its metadata resource.
 *
 * So with the watch an account's source stack holds 247 sources (it held about 495 before the
 * table statement). Stacks that split an account's sources into chunks (the scale work's
 * `lib/stack-chunks.ts`, STREAM_POLICIES_PER_STACK) must use at most SOURCES_PER_SOURCE_STACK per
 * chunk; this check refuses anything larger at synth, in one line.
 */

/** The provider's function, role, policy, log group, and CDK's metadata. */
export const SOURCE_STACK_FIXED_RESOURCES = 5;
/** Resources per source: its stream statement, and its table statement when the watch is enabled. */
export function resourcesPerSource(watch: boolean): number {
  return watch ? 2 : 1;
}
/** CloudFormation's resources per stack. */
export const SOURCE_STACK_RESOURCE_BUDGET = 500;
/** Sources per source-account stack with the watch enabled (2 resources each): 247. */
export const SOURCES_PER_SOURCE_STACK = Math.floor((SOURCE_STACK_RESOURCE_BUDGET - SOURCE_STACK_FIXED_RESOURCES) / resourcesPerSource(true));

/** Refuses, in one line, a source stack that would pass the budget. */
export function assertWithinSourceStackCapacity(sources: number, watch: boolean, stackPath: string): void {
  const capacity = Math.floor((SOURCE_STACK_RESOURCE_BUDGET - SOURCE_STACK_FIXED_RESOURCES) / resourcesPerSource(watch));
  if (sources > capacity) {
    throw new Error(
      `${stackPath}: ${sources} sources need ${SOURCE_STACK_FIXED_RESOURCES + sources * resourcesPerSource(watch)} resources, over the ${SOURCE_STACK_RESOURCE_BUDGET} a source stack may hold ` +
        `(${resourcesPerSource(watch)} per source${watch ? ': stream and table statements' : ''}); at most ${capacity} sources per account's source stack`,
    );
  }
}
