/**
 * The host's limits and Xen's rules about sizes, in one place: the hypervisor
 * checks against them, and the schemas and the control layer take them from here.
 * (Domain-0's id, the default share and the cap's unit are the shared vocabulary's.)
 */
import { CAP_PER_VCPU, DOMAIN0_ID } from '../vocabulary/domains.ts';

export { CAP_PER_VCPU, DEFAULT_SHARE, DOMAIN0_ID } from '../vocabulary/domains.ts';

export const MAX_PCPUS = 4096;
export const MAX_GUEST_VCPUS = 128;
/** Xen stops at 0x7FEF (DOMID_FIRST_RESERVED - 1); a simulated host of 100000 guests needs more. */
export const MAX_DOMID = 0x7fffffff;
/** A domain's share of its scheduling domain's credit (the sub-scheduler's weight). */
export const MIN_SHARE = 1;
export const MAX_SHARE = 65535;

/** The highest cap `vcpus` vCPUs can carry (for a master: its whole scheduling domain's). */
export const maxCapFor = (vcpus: number): number => CAP_PER_VCPU * vcpus;

/** Guests have up to 128 vCPUs; Domain-0 has one per pCPU, however many that is. */
export const maxVcpusFor = (domid: number, pcpus: number): number =>
  domid === DOMAIN0_ID ? Math.max(MAX_GUEST_VCPUS, pcpus) : MAX_GUEST_VCPUS;

/**
 * The most changes a host's replay log keeps (about 15 MB): past it the log
 * stops, since a log missing changes could not replay the run.
 */
export const REPLAY_LOG_MAX_ENTRIES = 100_000;

/** The seed when none is given; seeds are 32-bit (the generator keeps 32 bits of state). */
export const DEFAULT_SEED = 1;
export const MAX_SEED = 0xffffffff;

/** Pool-0: made at boot with every pCPU and the boot scheduler; never destroyed. */
export const POOL0_ID = 0;
export const POOL0_NAME = 'Pool-0';
export const MAX_POOL_ID = 0x7fffffff;
export const MAX_CPUPOOL_NAME = 64;
