-- Every committed change counts the host's revision up by one, and each
-- resource it changes takes the new revision as its version: so a version is
-- never reused, not even by a resource deleted and made again. A resource
-- without a row here (one stored before versions) is at version 1.
ALTER TABLE host ADD COLUMN revision INTEGER NOT NULL DEFAULT 1 CHECK (revision >= 1);

-- kind: 'domain' (key: domid), 'scheduling-domain' (key: the master's domid),
-- 'scheduler' (key 0).
CREATE TABLE versions (
  kind TEXT NOT NULL,
  key INTEGER NOT NULL,
  version INTEGER NOT NULL CHECK (version >= 1),
  PRIMARY KEY (kind, key)
) WITHOUT ROWID;
