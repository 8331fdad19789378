-- The part of the IEPM-BW database that check_iepm_schedule reads, written
-- from the guide (seed 003), which names the tables, their unique indexes and
-- the TOOLSPECS fields lastrunepoch and runinterval but gives no full schema.
-- Every other name below is an assumption (see the README); the plugin keeps
-- the names it reads in one place (src/checks/iepm_schedule.rs, mod schema).
--
--   mysql iepm < schema.sql
CREATE TABLE NODES (
  nodeID      INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  nodename    VARCHAR(255) NOT NULL,          -- assumed: the host name
  ipaddr      VARCHAR(64)                     -- assumed
);

CREATE TABLE TOOLSPECS (
  toolspecsID  INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, -- the seed's "toospecsID"
  nodeID       INT UNSIGNED NOT NULL,         -- assumed: the target node
  tool         VARCHAR(64) NOT NULL,          -- assumed: iperf, pathchirp, ping, traceroute...
  testtype     VARCHAR(32),                   -- seed: 'background', 'background-syn'
  runinterval  INT NOT NULL,                  -- seed: seconds between runs
  lastrunepoch BIGINT,                        -- seed: epoch of the last run (NULL/0: never)
  KEY (nodeID)
);

CREATE TABLE SCHEDULE (
  scheduleID     INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, -- also the data file name
  toolspecsID    INT UNSIGNED NOT NULL,       -- assumed
  tool           VARCHAR(64) NOT NULL,        -- assumed
  scheduledepoch BIGINT NOT NULL              -- assumed: when load-scheduled added it
);
