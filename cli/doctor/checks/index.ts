/**
 * Doctor's checks, in the order they print. Each is data: an id and a function of the context
 * (clients, config, deployment, clock), so a new check is one module and one line here.
 */
import type { DoctorCheck } from '../context';
import { alarmTopicCheck } from './alarm-topic';
import { athenaCheck } from './athena';
import { deliveryCheck } from './delivery';
import { digestCheck } from './digest';
import { glueCheck } from './glue';
import { heartbeatCheck } from './heartbeat';
import { mappingsCheck } from './mappings';
import { partitionsCheck } from './partitions';
import { stacksCheck } from './stacks';
import { streamsCheck } from './streams';
import { watchCheck } from './watch';

export const DOCTOR_CHECKS: readonly DoctorCheck[] = [stacksCheck, alarmTopicCheck, streamsCheck, mappingsCheck, watchCheck, deliveryCheck, heartbeatCheck, digestCheck, glueCheck, partitionsCheck, athenaCheck];
