-- One running evacuation per cluster (issue #16): two requests to evacuate the same cluster at the
-- same moment both passed the API's read of the running evacuations and both started moving its
-- environments. A running evacuation now holds a row per cluster here, inserted in the same
-- statement as the evacuation (store/evacuations.ts create), so the second insert fails on the
-- primary key (409 at the API) and writes nothing. The rows go when the evacuation stops running
-- (trigger below), whoever ends it. Clusters of evacuations already running are claimed now.
CREATE TABLE evacuation_clusters (
  cluster        text PRIMARY KEY,
  evacuation_id  text NOT NULL REFERENCES evacuations (id) ON DELETE CASCADE
);
CREATE INDEX evacuation_clusters_evacuation ON evacuation_clusters (evacuation_id);

INSERT INTO evacuation_clusters (cluster, evacuation_id)
SELECT DISTINCT ON (c.cluster) c.cluster, e.id
  FROM evacuations e, jsonb_array_elements_text(e.clusters) AS c(cluster)
 WHERE e.state = 'running'
 ORDER BY c.cluster, e.created_at, e.id;

CREATE FUNCTION fleetplane_evacuation_release() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM evacuation_clusters WHERE evacuation_id = NEW.id;
  RETURN NULL;
END $$;

CREATE TRIGGER evacuations_release AFTER UPDATE OF state ON evacuations
  FOR EACH ROW WHEN (NEW.state <> 'running') EXECUTE FUNCTION fleetplane_evacuation_release();
