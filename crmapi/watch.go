package crmapi

import (
	"context"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/quarrydata/quarry/storage/objstore"
	"github.com/quarrydata/quarry/worker/registry"
)

// Follow keeps s serving the current model version of dataset, as the
// coordinator publishes it in etcd under prefix
// (registry.WatchModelVersion): each new version is loaded from b and
// swapped in; a version that fails to load is refused and the current
// model keeps serving, until a newer version is published. A version equal
// to the one served is not loaded again, so an admin rollback stays until
// the next publication. The gauge quarry_crmapi_model_published_version
// shows the latest version seen (0 before the first and once Follow has
// returned). Follow returns when ctx ends.
func Follow(ctx context.Context, s *Server, b objstore.Bucket, cli *clientv3.Client, prefix, dataset string) {
	defer s.metrics.modelPublished(0)
	for v := range registry.WatchModelVersion(ctx, cli, prefix, dataset) {
		if v < 1 {
			continue // none published yet
		}
		s.metrics.modelPublished(v)
		if m := s.Model(); m != nil && m.Version == v {
			continue
		}
		if _, err := s.LoadAndSwap(ctx, b, dataset, v); err == nil {
			s.log.Info("model swapped", "dataset", dataset, "version", v)
		}
	}
}
