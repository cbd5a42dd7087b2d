-- Configuration only: what the user asked for. Runtime state (credits,
-- runstates, CPU time) lives in the simulation and is never stored.

-- Host-wide values that must survive a restart: the domid counter (never
-- reused) and the credit scheduler's parameters. One row.
CREATE TABLE host (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  next_domid INTEGER NOT NULL CHECK (next_domid >= 1),
  tslice_ms INTEGER NOT NULL,
  ratelimit_us INTEGER NOT NULL,
  accounting TEXT NOT NULL CHECK (accounting IN ('exact', 'sampled'))
);
INSERT INTO host (id, next_domid, tslice_ms, ratelimit_us, accounting) VALUES (1, 1, 30, 1000, 'exact');

CREATE TABLE domains (
  domid INTEGER PRIMARY KEY CHECK (domid >= 0),
  uuid TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL UNIQUE,
  vcpus INTEGER NOT NULL CHECK (vcpus >= 1),
  max_vcpus INTEGER NOT NULL CHECK (max_vcpus >= vcpus),
  memory_mb INTEGER NOT NULL CHECK (memory_mb >= 1),
  weight INTEGER NOT NULL CHECK (weight BETWEEN 1 AND 65535),
  cap INTEGER NOT NULL CHECK (cap >= 0),
  -- JSON: the workload object, and one affinity entry ("all" or pCPU ids) per vCPU.
  workload TEXT NOT NULL,
  affinity TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('running', 'paused', 'halted'))
);

-- A scheduling domain is named by its master; it may exist with no members.
CREATE TABLE sched_groups (
  master INTEGER PRIMARY KEY REFERENCES domains (domid) ON DELETE CASCADE,
  master_share INTEGER NOT NULL CHECK (master_share BETWEEN 1 AND 65535)
);

-- member is the primary key: a domain is in at most one group.
CREATE TABLE sched_group_members (
  member INTEGER PRIMARY KEY REFERENCES domains (domid) ON DELETE CASCADE,
  master INTEGER NOT NULL REFERENCES sched_groups (master) ON DELETE CASCADE,
  share INTEGER NOT NULL CHECK (share BETWEEN 1 AND 65535),
  joined_seq INTEGER NOT NULL,
  CHECK (member <> master)
);
CREATE INDEX sched_group_members_by_master ON sched_group_members (master, joined_seq);
