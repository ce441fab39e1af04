// Package helm holds the o2c Helm chart (deploy/helm/o2c) and its tests: the
// chart is rendered with Helm's own Go library, with the default and the
// production values, every document is decoded strictly into the
// Kubernetes API types (an unknown field fails), and the platform's
// policies are checked on the result: probes, resources, a non-root
// read-only container without privileges, a pinned image, secrets by
// reference, a HorizontalPodAutoscaler only where a service scales out,
// and every service under services/ in the chart and in
// docker-compose.yml. `make helm-lint` runs `helm lint --strict` on top.
package helm
