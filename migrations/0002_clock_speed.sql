-- The simulated clock's speed (0 = frozen, 1 = real time, up to 1000) is
-- configuration too: it survives a restart (a start-up flag overrides it).
ALTER TABLE host ADD COLUMN clock_speed REAL NOT NULL DEFAULT 1 CHECK (clock_speed >= 0 AND clock_speed <= 1000);
