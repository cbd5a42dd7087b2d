-- Cpupools: named sets of pCPUs, each with a scheduler of its own. Pool-0
-- exists from boot with every pCPU and the boot scheduler; it has a row only
-- once its pCPUs or (under credit2) its parameters were changed (under credit,
-- its parameters are the host row's).
CREATE TABLE cpupools (
  id INTEGER PRIMARY KEY CHECK (id >= 0),
  name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 64),
  sched TEXT NOT NULL CHECK (sched IN ('credit', 'credit2')),
  -- JSON: the pCPU ids, ascending.
  pcpus TEXT NOT NULL,
  -- JSON: the policy's pool-wide parameters; NULL: its defaults.
  params TEXT
);

-- The pool each domain lives in (0: Pool-0).
ALTER TABLE domains ADD COLUMN cpupool INTEGER NOT NULL DEFAULT 0 CHECK (cpupool >= 0);
