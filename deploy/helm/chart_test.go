package helm

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/yaml"

	"github.com/o2c-platform/o2c/libs/host"
	dunning "github.com/o2c-platform/o2c/services/dunning/service"
	ingestion "github.com/o2c-platform/o2c/services/ingestion/service"
	matching "github.com/o2c-platform/o2c/services/matching/service"
)

const chartDir = "o2c"

// valueSets are the values files the chart is rendered with: the defaults
// alone and production layered over them.
var valueSets = map[string][]string{
	"default":    nil,
	"production": {"o2c/values-production.yaml"},
}

// object is one rendered Kubernetes document, decoded strictly.
type object struct {
	source string // the template it came from
	kind   string // apiVersion and kind, "apps/v1 Deployment"
	name   string
	obj    any // a pointer to the k8s.io/api type
}

// kinds are the types each kind the chart renders decodes into.
var kinds = map[string]func() any{
	"apps/v1 Deployment":                     func() any { return &appsv1.Deployment{} },
	"v1 Service":                             func() any { return &corev1.Service{} },
	"v1 ConfigMap":                           func() any { return &corev1.ConfigMap{} },
	"policy/v1 PodDisruptionBudget":          func() any { return &policyv1.PodDisruptionBudget{} },
	"autoscaling/v2 HorizontalPodAutoscaler": func() any { return &autoscalingv2.HorizontalPodAutoscaler{} },
	"networking.k8s.io/v1 NetworkPolicy":     func() any { return &networkingv1.NetworkPolicy{} },
	"batch/v1 Job":                           func() any { return &batchv1.Job{} },
}

// customResources are rendered kinds whose types live outside k8s.io/api:
// they are checked as YAML only, not decoded strictly.
var customResources = map[string]bool{
	"monitoring.coreos.com/v1 ServiceMonitor": true,
}

// loadChart loads the chart from its folder.
func loadChart(tb testing.TB) *chart.Chart {
	tb.Helper()
	c, err := loader.Load(chartDir)
	if err != nil {
		tb.Fatalf("load chart %s: %v", chartDir, err)
	}
	return c
}

// render renders the chart as `helm template o2c deploy/helm/o2c -f
// files... --set ...` does, with overrides merged last, and returns the
// manifests by template.
func render(tb testing.TB, files []string, overrides map[string]any) (map[string]string, error) {
	tb.Helper()
	c := loadChart(tb)
	vals := map[string]any{}
	for _, f := range files {
		v, err := chartutil.ReadValuesFile(f)
		if err != nil {
			tb.Fatalf("read %s: %v", f, err)
		}
		vals = merge(vals, v.AsMap())
	}
	vals = merge(vals, overrides)
	rv, err := chartutil.ToRenderValues(c, vals, chartutil.ReleaseOptions{Name: "o2c", Namespace: "o2c", IsInstall: true, Revision: 1}, chartutil.DefaultCapabilities)
	if err != nil {
		return nil, err
	}
	return engine.Render(c, rv)
}

// merge merges src into dst as helm merges values files: maps merge key by
// key, everything else is replaced.
func merge(dst, src map[string]any) map[string]any {
	out := maps.Clone(dst)
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := out[k].(map[string]any); ok {
				out[k] = merge(dm, sm)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// decode splits the rendered manifests into documents and decodes each
// strictly into its Kubernetes type. Custom resources are returned as
// maps.
func decode(tb testing.TB, manifests map[string]string) []object {
	tb.Helper()
	var objs []object
	for _, source := range slices.Sorted(maps.Keys(manifests)) {
		if strings.HasSuffix(source, "NOTES.txt") {
			continue
		}
		for _, doc := range strings.Split(manifests[source], "\n---") {
			doc = strings.TrimPrefix(strings.TrimSpace(doc), "---")
			if strings.TrimSpace(stripComments(doc)) == "" {
				continue
			}
			var meta struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
				Metadata   struct {
					Name string `json:"name"`
				} `json:"metadata"`
			}
			if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
				tb.Fatalf("%s: not YAML: %v\n%s", source, err, doc)
			}
			kind := meta.APIVersion + " " + meta.Kind
			o := object{source: source, kind: kind, name: meta.Metadata.Name}
			switch newObj, known := kinds[kind]; {
			case known:
				o.obj = newObj()
				if err := yaml.UnmarshalStrict([]byte(doc), o.obj); err != nil {
					tb.Errorf("%s: %s %s does not decode strictly: %v", source, kind, meta.Metadata.Name, err)
					continue
				}
			case customResources[kind]:
				var m map[string]any
				if err := yaml.UnmarshalStrict([]byte(doc), &m); err != nil {
					tb.Errorf("%s: %s: %v", source, kind, err)
					continue
				}
				o.obj = m
			default:
				tb.Errorf("%s: kind %q is neither a known Kubernetes type nor a listed custom resource", source, kind)
				continue
			}
			objs = append(objs, o)
		}
	}
	return objs
}

// stripComments drops YAML comment lines.
func stripComments(doc string) string {
	var b strings.Builder
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// rendered renders and decodes the chart with a value set; it fails the
// test when rendering fails.
func rendered(tb testing.TB, files []string, overrides map[string]any) []object {
	tb.Helper()
	m, err := render(tb, files, overrides)
	if err != nil {
		tb.Fatalf("render: %v", err)
	}
	return decode(tb, m)
}

// ofKind returns the objects of one kind by name.
func ofKind[T any](objs []object) map[string]T {
	out := map[string]T{}
	for _, o := range objs {
		if t, ok := o.obj.(T); ok {
			out[o.name] = t
		}
	}
	return out
}

// serviceDirs returns the folders under services/.
func serviceDirs(tb testing.TB) []string {
	tb.Helper()
	entries, err := os.ReadDir("../../services")
	if err != nil {
		tb.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		tb.Fatal("no services under services/; the checks would be vacuous")
	}
	return names
}

// backends are the services on libs/host (PostgreSQL, NATS, a schema).
var backends = []string{"collections", "dunning", "ingestion", "ledger", "matching", "refund-import"}

// TestChartRendersStrictly renders the chart with each value set and
// decodes every document into the Kubernetes API types, unknown fields
// failing; it expects a Deployment, Service and PodDisruptionBudget per
// service and a migration Job per backend.
func TestChartRendersStrictly(t *testing.T) {
	t.Parallel()
	for name, files := range valueSets {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			objs := rendered(t, files, nil)
			count := map[string]int{}
			for _, o := range objs {
				count[o.kind]++
			}
			n := len(serviceDirs(t))
			for kind, want := range map[string]int{
				"apps/v1 Deployment": n, "v1 Service": n, "policy/v1 PodDisruptionBudget": n,
				"batch/v1 Job": len(backends), "networking.k8s.io/v1 NetworkPolicy": n + 1,
			} {
				if count[kind] != want {
					t.Errorf("%d of %s, want %d", count[kind], kind, want)
				}
			}
		})
	}
}

// TestPolicies checks the platform's policies on every value set.
func TestPolicies(t *testing.T) {
	t.Parallel()
	for name, files := range valueSets {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			objs := rendered(t, files, nil)
			for _, v := range violations(objs) {
				t.Error(v)
			}
			if len(ofKind[*appsv1.Deployment](objs)) == 0 {
				t.Fatal("no Deployments rendered; the policy checks would be vacuous")
			}
		})
	}
}

// violations returns every breach of the platform's policies: each
// container of a Deployment has liveness and readiness probes; each
// container of a Deployment or Job has CPU and memory requests and limits,
// runs as non-root with a read-only root filesystem, without privilege
// escalation or capabilities, under the RuntimeDefault seccomp profile, and
// names its image by a version tag (not latest, not none); no Secret is
// rendered, and a password or database URL comes from a Secret.
func violations(objs []object) []string {
	var out []string
	for _, o := range objs {
		var spec *corev1.PodSpec
		probes := false
		switch x := o.obj.(type) {
		case *appsv1.Deployment:
			spec, probes = &x.Spec.Template.Spec, true
		case *batchv1.Job:
			spec = &x.Spec.Template.Spec
		case *corev1.Secret:
			out = append(out, fmt.Sprintf("%s: Secret %s rendered; secrets are referenced by name only", o.source, o.name))
		}
		if spec == nil {
			continue
		}
		for _, c := range spec.Containers {
			where := fmt.Sprintf("%s %s container %s", o.kind, o.name, c.Name)
			if probes && (c.LivenessProbe == nil || c.ReadinessProbe == nil) {
				out = append(out, where+": no liveness or readiness probe")
			}
			for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
				if q, ok := c.Resources.Requests[r]; !ok || q.IsZero() {
					out = append(out, fmt.Sprintf("%s: no %s request", where, r))
				}
				if q, ok := c.Resources.Limits[r]; !ok || q.IsZero() {
					out = append(out, fmt.Sprintf("%s: no %s limit", where, r))
				}
			}
			out = append(out, securityViolations(where, spec.SecurityContext, c.SecurityContext)...)
			if tag := imageTag(c.Image); tag == "" || tag == "latest" {
				out = append(out, fmt.Sprintf("%s: image %q has no version tag", where, c.Image))
			}
			for _, e := range c.Env {
				secretName := strings.HasSuffix(e.Name, "PASSWORD") || strings.HasSuffix(e.Name, "DATABASE_URL") || strings.HasSuffix(e.Name, "_SECRET")
				if secretName && e.ValueFrom == nil {
					out = append(out, fmt.Sprintf("%s: %s is a value, not a reference to a Secret", where, e.Name))
				}
				if strings.Contains(e.Value, "://") && strings.Contains(e.Value, "@") {
					out = append(out, fmt.Sprintf("%s: %s carries credentials in a URL", where, e.Name))
				}
			}
		}
	}
	return out
}

// securityViolations checks a container's security context, falling back
// to the pod's where Kubernetes does.
func securityViolations(where string, pod *corev1.PodSecurityContext, c *corev1.SecurityContext) []string {
	if c == nil {
		c = &corev1.SecurityContext{}
	}
	if pod == nil {
		pod = &corev1.PodSecurityContext{}
	}
	var out []string
	nonRoot := c.RunAsNonRoot
	if nonRoot == nil {
		nonRoot = pod.RunAsNonRoot
	}
	if nonRoot == nil || !*nonRoot {
		out = append(out, where+": runAsNonRoot is not true")
	}
	if c.ReadOnlyRootFilesystem == nil || !*c.ReadOnlyRootFilesystem {
		out = append(out, where+": readOnlyRootFilesystem is not true")
	}
	if c.AllowPrivilegeEscalation == nil || *c.AllowPrivilegeEscalation {
		out = append(out, where+": allowPrivilegeEscalation is not false")
	}
	if c.Privileged != nil && *c.Privileged {
		out = append(out, where+": privileged")
	}
	if c.Capabilities == nil || !slices.Contains(c.Capabilities.Drop, "ALL") || len(c.Capabilities.Add) > 0 {
		out = append(out, where+": capabilities do not drop ALL, or add some")
	}
	seccomp := c.SeccompProfile
	if seccomp == nil {
		seccomp = pod.SeccompProfile
	}
	if seccomp == nil || seccomp.Type != corev1.SeccompProfileTypeRuntimeDefault {
		out = append(out, where+": seccomp profile is not RuntimeDefault")
	}
	return out
}

// imageTag returns the tag of an image reference, "" without one.
func imageTag(image string) string {
	name := image
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	if _, tag, ok := strings.Cut(name, ":"); ok {
		return tag
	}
	return ""
}

// TestViolationsCatchBreaches feeds violations objects that break each
// policy: each breach is reported, and a compliant Deployment has none.
func TestViolationsCatchBreaches(t *testing.T) {
	t.Parallel()
	good := func() *appsv1.Deployment {
		objs := rendered(t, nil, nil)
		return ofKind[*appsv1.Deployment](objs)["o2c-ledger"].DeepCopy()
	}
	if good() == nil {
		t.Fatal("no Deployment o2c-ledger rendered")
	}
	tests := []struct {
		name   string
		breach func(d *appsv1.Deployment)
		want   string
	}{
		{"compliant", func(*appsv1.Deployment) {}, ""},
		{"no liveness probe", func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].LivenessProbe = nil }, "no liveness or readiness probe"},
		{"no readiness probe", func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].ReadinessProbe = nil }, "no liveness or readiness probe"},
		{"no memory limit", func(d *appsv1.Deployment) {
			delete(d.Spec.Template.Spec.Containers[0].Resources.Limits, corev1.ResourceMemory)
		}, "no memory limit"},
		{"no cpu request", func(d *appsv1.Deployment) {
			delete(d.Spec.Template.Spec.Containers[0].Resources.Requests, corev1.ResourceCPU)
		}, "no cpu request"},
		{"root", func(d *appsv1.Deployment) {
			f := false
			d.Spec.Template.Spec.Containers[0].SecurityContext.RunAsNonRoot = &f
		}, "runAsNonRoot is not true"},
		{"writable root", func(d *appsv1.Deployment) {
			d.Spec.Template.Spec.Containers[0].SecurityContext.ReadOnlyRootFilesystem = nil
		}, "readOnlyRootFilesystem is not true"},
		{"privilege escalation", func(d *appsv1.Deployment) {
			tr := true
			d.Spec.Template.Spec.Containers[0].SecurityContext.AllowPrivilegeEscalation = &tr
		}, "allowPrivilegeEscalation is not false"},
		{"a capability", func(d *appsv1.Deployment) {
			d.Spec.Template.Spec.Containers[0].SecurityContext.Capabilities.Add = []corev1.Capability{"NET_ADMIN"}
		}, "capabilities do not drop ALL"},
		{"unconfined", func(d *appsv1.Deployment) {
			d.Spec.Template.Spec.Containers[0].SecurityContext.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}
		}, "seccomp profile is not RuntimeDefault"},
		{"latest", func(d *appsv1.Deployment) {
			d.Spec.Template.Spec.Containers[0].Image = "ghcr.io/o2c-platform/o2c:latest"
		}, "has no version tag"},
		{"no tag", func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "registry:5000/o2c" }, "has no version tag"},
		{"password as a value", func(d *appsv1.Deployment) {
			c := &d.Spec.Template.Spec.Containers[0]
			c.Env = append(c.Env, corev1.EnvVar{Name: "NATS_PASSWORD", Value: "hunter2"})
		}, "NATS_PASSWORD is a value"},
		{"credentials in a URL", func(d *appsv1.Deployment) {
			c := &d.Spec.Template.Spec.Containers[0]
			c.Env = append(c.Env, corev1.EnvVar{Name: "NATS_URL", Value: "nats://ledger:pw@nats:4222"})
		}, "carries credentials in a URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := good()
			tt.breach(d)
			got := violations([]object{{source: "test", kind: "apps/v1 Deployment", name: d.Name, obj: d}})
			if tt.want == "" {
				if len(got) > 0 {
					t.Errorf("violations of a compliant Deployment: %q", got)
				}
				return
			}
			if len(got) != 1 || !strings.Contains(got[0], tt.want) {
				t.Errorf("violations = %q, want one containing %q", got, tt.want)
			}
		})
	}
	secret := violations([]object{{source: "test", kind: "v1 Secret", name: "s", obj: &corev1.Secret{}}})
	if len(secret) != 1 || !strings.Contains(secret[0], "referenced by name only") {
		t.Errorf("violations of a rendered Secret = %q, want one", secret)
	}
}

// TestEveryServiceIsDeployed checks that every folder under services/ is a
// Deployment of the chart and a service of docker-compose.yml.
func TestEveryServiceIsDeployed(t *testing.T) {
	t.Parallel()
	var inChart []string
	for _, o := range rendered(t, nil, nil) {
		if d, ok := o.obj.(*appsv1.Deployment); ok {
			inChart = append(inChart, d.Labels["app.kubernetes.io/component"])
		}
	}
	if missing := missingServices(serviceDirs(t), inChart, composeServices(t)); len(missing) > 0 {
		t.Errorf("not deployed: %s", strings.Join(missing, "; "))
	}
}

// TestMissingServices shows that a service under services/ without a chart
// entry or a compose service is reported.
func TestMissingServices(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                 string
		dirs, chart, compose []string
		want                 []string
	}{
		{"all deployed", []string{"a", "b"}, []string{"a", "b"}, []string{"a", "b", "postgres"}, nil},
		{"not in the chart", []string{"a", "b", "new"}, []string{"a", "b"}, []string{"a", "b", "new"},
			[]string{"services/new has no Deployment in deploy/helm/o2c (add it to values.yaml services)"}},
		{"not in compose", []string{"a", "new"}, []string{"a", "new"}, []string{"a"},
			[]string{"services/new has no service in docker-compose.yml"}},
		{"in neither", []string{"a", "new"}, []string{"a"}, []string{"a"},
			[]string{"services/new has no Deployment in deploy/helm/o2c (add it to values.yaml services)", "services/new has no service in docker-compose.yml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, missingServices(tt.dirs, tt.chart, tt.compose)); diff != "" {
				t.Errorf("missingServices (-want +got):\n%s", diff)
			}
		})
	}
}

// missingServices says which of dirs (the folders under services/) is
// missing from the chart's Deployments or the compose file's services.
func missingServices(dirs, chart, compose []string) []string {
	var out []string
	for _, d := range dirs {
		if !slices.Contains(chart, d) {
			out = append(out, "services/"+d+" has no Deployment in deploy/helm/o2c (add it to values.yaml services)")
		}
		if !slices.Contains(compose, d) {
			out = append(out, "services/"+d+" has no service in docker-compose.yml")
		}
	}
	return out
}

// composeServices returns the service names of docker-compose.yml.
func composeServices(tb testing.TB) []string {
	tb.Helper()
	b, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		tb.Fatal(err)
	}
	var f struct {
		Services map[string]any `json:"services"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		tb.Fatalf("docker-compose.yml: %v", err)
	}
	return slices.Sorted(maps.Keys(f.Services))
}

// TestScalingOut checks that only ingestion gets a
// HorizontalPodAutoscaler (production turns theirs on), that they then
// leave replicas to it, and that asking for one for the ledger fails the
// render, saying why.
func TestScalingOut(t *testing.T) {
	t.Parallel()
	objs := rendered(t, valueSets["production"], nil)
	hpas := slices.Sorted(maps.Keys(ofKind[*autoscalingv2.HorizontalPodAutoscaler](objs)))
	if diff := cmp.Diff([]string{"o2c-ingestion"}, hpas); diff != "" {
		t.Errorf("HorizontalPodAutoscalers (-want +got):\n%s", diff)
	}
	deps := ofKind[*appsv1.Deployment](objs)
	for name, d := range deps {
		scaled := slices.Contains(hpas, name)
		if scaled != (d.Spec.Replicas == nil) {
			t.Errorf("%s: replicas %v with autoscaler %v; an autoscaled Deployment leaves replicas to it", name, d.Spec.Replicas, scaled)
		}
	}
	for _, one := range []string{"ledger", "matching"} {
		if d := deps["o2c-"+one]; d == nil || d.Spec.Replicas == nil || *d.Spec.Replicas != 1 || d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
			t.Errorf("%s: want one replica, replaced by Recreate (one process); got %+v", one, d)
		}
		_, err := render(t, nil, map[string]any{"services": map[string]any{one: map[string]any{"autoscaling": map[string]any{"enabled": true}}}})
		if err == nil || !strings.Contains(err.Error(), "only these services scale out by JetStream consumer groups: ingestion;") {
			t.Errorf("render with an autoscaled %s: %v, want an error saying only ingestion scales out", one, err)
		}
	}
}

// TestImageTag checks that the image defaults to the chart's appVersion,
// follows image.tag, and that latest is refused.
func TestImageTag(t *testing.T) {
	t.Parallel()
	app := loadChart(t).Metadata.AppVersion
	tests := []struct {
		tag     any
		want    string
		wantErr bool
	}{
		{"", "ghcr.io/o2c-platform/o2c:" + app, false},
		{"1.4.2", "ghcr.io/o2c-platform/o2c:1.4.2", false},
		{"latest", "", true},
	}
	for _, tt := range tests {
		m, err := render(t, nil, map[string]any{"image": map[string]any{"tag": tt.tag}})
		if tt.wantErr {
			if err == nil || !strings.Contains(err.Error(), `"latest" is refused`) {
				t.Errorf("tag %q: %v, want refused", tt.tag, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("tag %q: %v", tt.tag, err)
		}
		images := map[string]bool{}
		for _, o := range decode(t, m) {
			for _, spec := range podSpecs(o) {
				for _, c := range spec.Containers {
					images[c.Image] = true
				}
			}
		}
		if diff := cmp.Diff(map[string]bool{tt.want: true}, images); diff != "" {
			t.Errorf("tag %q: images (-want +got):\n%s", tt.tag, diff)
		}
	}
}

// podSpecs returns the pod specs of a Deployment or Job.
func podSpecs(o object) []*corev1.PodSpec {
	switch x := o.obj.(type) {
	case *appsv1.Deployment:
		return []*corev1.PodSpec{&x.Spec.Template.Spec}
	case *batchv1.Job:
		return []*corev1.PodSpec{&x.Spec.Template.Spec}
	}
	return nil
}

// env returns a container's environment as name -> value, or "secret:<name>/<key>"
// for a reference.
func env(c corev1.Container) map[string]string {
	out := map[string]string{}
	for _, e := range c.Env {
		v := e.Value
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			v = "secret:" + e.ValueFrom.SecretKeyRef.Name + "/" + e.ValueFrom.SecretKeyRef.Key
		}
		out[e.Name] = v
	}
	return out
}

// TestBackendsAreConfiguredAsTheyRead checks the environment of every
// backend Deployment against what the services read: every variable is
// one host.Config, libs/auth, the telemetry or the service itself reads;
// secrets come by reference; the gRPC probes ask the health port for
// host.LivenessHealth (liveness) and the overall status (readiness); and
// production keeps each stream on three NATS servers.
func TestBackendsAreConfiguredAsTheyRead(t *testing.T) {
	t.Parallel()
	known := map[string]bool{}
	for _, v := range host.Variables("") {
		for _, n := range strings.Split(v.Name, ", ") {
			known[n] = true
		}
	}
	for _, n := range []string{
		host.ClientCertEnv, host.ClientKeyEnv, host.ClientCAEnv,
		ingestion.LedgerAddrEnv, ingestion.DropDirEnv,
		matching.IngestionAddrEnv, matching.SepaOutputDirEnv, matching.SepaRunAtEnv,
		dunning.IngestionAddrEnv, dunning.OutboxEnv, dunning.RunAtEnv, dunning.ZoneEnv, dunning.DataDirEnv,
		// refund-import's main.go reads these.
		"REFUND_IMPORT_SECRETS_DIR", "REFUND_IMPORT_SCHEDULE",
	} {
		known[n] = true
	}
	for name, files := range valueSets {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			deps := ofKind[*appsv1.Deployment](rendered(t, files, nil))
			for _, b := range backends {
				d := deps["o2c-"+b]
				if d == nil {
					t.Errorf("no Deployment o2c-%s", b)
					continue
				}
				c := d.Spec.Template.Spec.Containers[0]
				e := env(c)
				for n := range e {
					if !known[n] && !strings.HasPrefix(n, "OTEL_") {
						t.Errorf("%s: %s is set but no service reads it", b, n)
					}
				}
				wantSecrets := map[string]string{
					"DATABASE_URL":  "secret:o2c-database/" + b,
					"NATS_PASSWORD": "secret:o2c-nats/" + b,
				}
				for k, want := range wantSecrets {
					if e[k] != want {
						t.Errorf("%s: %s = %q, want %q", b, k, e[k], want)
					}
				}
				if e["NATS_USER"] != b || e["O2C_ENV"] != "production" || e["O2C_AUTH"] != "mtls" {
					t.Errorf("%s: NATS_USER, O2C_ENV, O2C_AUTH = %q, %q, %q; want %s, production, mtls", b, e["NATS_USER"], e["O2C_ENV"], e["O2C_AUTH"], b)
				}
				wantReplicas := map[string]string{"default": "1", "production": "3"}[name]
				if e["NATS_STREAM_REPLICAS"] != wantReplicas {
					t.Errorf("%s: NATS_STREAM_REPLICAS = %q, want %q", b, e["NATS_STREAM_REPLICAS"], wantReplicas)
				}
				healthPort := ""
				for _, p := range c.Ports {
					if p.Name == "health" {
						healthPort = fmt.Sprint(p.ContainerPort)
					}
				}
				if healthPort == "" || !strings.HasSuffix(e["HEALTH_ADDR"], ":"+healthPort) {
					t.Errorf("%s: HEALTH_ADDR %q does not listen on the health port %q", b, e["HEALTH_ADDR"], healthPort)
				}
				if p := c.LivenessProbe; p == nil || p.GRPC == nil || p.GRPC.Service == nil || *p.GRPC.Service != host.LivenessHealth || fmt.Sprint(p.GRPC.Port) != healthPort {
					t.Errorf("%s: liveness probe %+v, want gRPC %s on the health port", b, p, host.LivenessHealth)
				}
				if p := c.ReadinessProbe; p == nil || p.GRPC == nil || (p.GRPC.Service != nil && *p.GRPC.Service != "") || fmt.Sprint(p.GRPC.Port) != healthPort {
					t.Errorf("%s: readiness probe %+v, want gRPC overall status on the health port", b, p)
				}
			}
		})
	}
}

// TestMigrationJobs checks the migration hooks: one Job per backend, run
// before install and upgrade, with the services' image and binary in
// migrate-only mode and the owner connection by reference, and the tenants
// file from a hook ConfigMap that exists before the Jobs run.
func TestMigrationJobs(t *testing.T) {
	t.Parallel()
	objs := rendered(t, nil, nil)
	jobs := ofKind[*batchv1.Job](objs)
	deps := ofKind[*appsv1.Deployment](objs)
	var names []string
	for name, j := range jobs {
		names = append(names, name)
		if got := j.Annotations["helm.sh/hook"]; got != "pre-install,pre-upgrade" {
			t.Errorf("%s: hook %q, want pre-install,pre-upgrade", name, got)
		}
		c := j.Spec.Template.Spec.Containers[0]
		service := strings.TrimPrefix(name, "o2c-migrate-")
		d := deps["o2c-"+service]
		if d == nil {
			t.Errorf("%s: no Deployment o2c-%s", name, service)
			continue
		}
		if dc := d.Spec.Template.Spec.Containers[0]; c.Image != dc.Image || !cmp.Equal(c.Command, dc.Command) {
			t.Errorf("%s runs %s %q, its Deployment %s %q; want the same image and binary", name, c.Image, c.Command, dc.Image, dc.Command)
		}
		e := env(c)
		if e[host.MigrateOnlyEnv] != "true" || e["MIGRATE_DATABASE_URL"] != "secret:o2c-database/migrate" {
			t.Errorf("%s: %s=%q MIGRATE_DATABASE_URL=%q; want true and the Secret's migrate key", name, host.MigrateOnlyEnv, e[host.MigrateOnlyEnv], e["MIGRATE_DATABASE_URL"])
		}
	}
	sort.Strings(names)
	var want []string
	for _, b := range backends {
		want = append(want, "o2c-migrate-"+b)
	}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("migration Jobs (-want +got):\n%s", diff)
	}
	cm := ofKind[*corev1.ConfigMap](objs)["o2c-tenants-migrate"]
	if cm == nil || cm.Annotations["helm.sh/hook"] != "pre-install,pre-upgrade" || cm.Annotations["helm.sh/hook-weight"] != "-10" {
		t.Errorf("tenants hook ConfigMap %+v: want a pre-install,pre-upgrade hook before the Jobs", cm)
	}
	if tenants := ofKind[*corev1.ConfigMap](objs)["o2c-tenants"]; tenants == nil || cm == nil || tenants.Data["tenants.json"] != cm.Data["tenants.json"] {
		t.Error("the migration jobs' tenants file differs from the services'")
	}
}

// TestNetworkPolicies checks who may call whom: the ledger takes gRPC from
// ingestion and the console only and calls ingestion (debtors' names), ingestion from the services that call it
// and the console; the console reaches every backend; a backend that calls
// none reaches no gRPC API.
func TestNetworkPolicies(t *testing.T) {
	t.Parallel()
	pols := ofKind[*networkingv1.NetworkPolicy](rendered(t, nil, nil))
	component := func(peers []networkingv1.NetworkPolicyPeer) []string {
		var out []string
		for _, p := range peers {
			if p.PodSelector != nil && p.NamespaceSelector == nil {
				out = append(out, p.PodSelector.MatchLabels["app.kubernetes.io/component"])
			}
		}
		sort.Strings(out)
		return out
	}
	grpcFrom := func(name string) []string {
		p := pols["o2c-"+name]
		if p == nil {
			t.Fatalf("no NetworkPolicy o2c-%s", name)
		}
		for _, r := range p.Spec.Ingress {
			if len(r.Ports) == 1 && r.Ports[0].Port.String() == "grpc" {
				return component(r.From)
			}
		}
		return nil
	}
	grpcTo := func(name string) []string {
		for _, r := range pols["o2c-"+name].Spec.Egress {
			if len(r.Ports) == 1 && r.Ports[0].Port.String() == "9090" {
				return component(r.To)
			}
		}
		return nil
	}
	tests := []struct {
		service    string
		from, to   []string
		policyType []networkingv1.PolicyType
	}{
		{"ledger", []string{"console", "ingestion"}, []string{"ingestion"}, nil},
		{"ingestion", []string{"collections", "console", "dunning", "ledger", "matching", "refund-import"}, []string{"ledger"}, nil},
		{"matching", []string{"console"}, []string{"ingestion"}, nil},
		{"console", nil, []string{"collections", "dunning", "ingestion", "ledger", "matching", "refund-import"}, nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.from, grpcFrom(tt.service)); diff != "" {
			t.Errorf("%s takes gRPC from (-want +got):\n%s", tt.service, diff)
		}
		if diff := cmp.Diff(tt.to, grpcTo(tt.service)); diff != "" {
			t.Errorf("%s calls (-want +got):\n%s", tt.service, diff)
		}
		if got := pols["o2c-"+tt.service].Spec.PolicyTypes; !cmp.Equal(got, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}) {
			t.Errorf("%s: policy types %v, want Ingress and Egress", tt.service, got)
		}
	}
}

// TestServiceMonitor renders the optional ServiceMonitor: absent by
// default, present in production, scraping the metrics port that every
// backend's Service exposes.
func TestServiceMonitor(t *testing.T) {
	t.Parallel()
	find := func(objs []object) map[string]any {
		for _, o := range objs {
			if o.kind == "monitoring.coreos.com/v1 ServiceMonitor" {
				return o.obj.(map[string]any)
			}
		}
		return nil
	}
	if sm := find(rendered(t, nil, nil)); sm != nil {
		t.Errorf("ServiceMonitor rendered by default: %v", sm)
	}
	objs := rendered(t, valueSets["production"], nil)
	sm := find(objs)
	if sm == nil {
		t.Fatal("no ServiceMonitor in production")
	}
	var buf bytes.Buffer
	fmt.Fprint(&buf, sm["spec"])
	if !strings.Contains(buf.String(), "port:metrics") {
		t.Errorf("ServiceMonitor spec %s does not scrape the port named metrics", buf.String())
	}
	for _, b := range backends {
		svc := ofKind[*corev1.Service](objs)["o2c-"+b]
		if svc == nil || !slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return p.Name == "metrics" }) {
			t.Errorf("Service o2c-%s has no metrics port", b)
		}
	}
}

// TestChartHasNoDependencies checks that nothing is fetched at install
// time: no dependencies in Chart.yaml and no charts/ folder.
func TestChartHasNoDependencies(t *testing.T) {
	t.Parallel()
	c := loadChart(t)
	if len(c.Metadata.Dependencies) > 0 || len(c.Dependencies()) > 0 {
		t.Errorf("the chart has dependencies: %v", c.Metadata.Dependencies)
	}
	if c.Metadata.APIVersion != chart.APIVersionV2 {
		t.Errorf("apiVersion %q, want v2", c.Metadata.APIVersion)
	}
	if _, err := os.Stat(filepath.Join(chartDir, "charts")); err == nil {
		t.Error("deploy/helm/o2c/charts exists; the chart must not vendor others")
	}
}

// TestEveryValueIsDocumented checks that docs/kubernetes.md names every
// value of values.yaml, by its path or, for a service's value, as
// services.<name>.<value>; a row may list further values of the same
// parent by their last name.
func TestEveryValueIsDocumented(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../../docs/kubernetes.md")
	if err != nil {
		t.Fatal(err)
	}
	vals, err := chartutil.ReadValuesFile(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	paths := valuePaths("", vals.AsMap())
	if len(paths) < 50 {
		t.Fatalf("only %d values found; the check would be vacuous", len(paths))
	}
	for _, p := range paths {
		if !documented(string(doc), p) {
			t.Errorf("value %s is not described in docs/kubernetes.md", p)
		}
	}
}

// opaqueValues are values documented as a whole, not by their fields.
var opaqueValues = map[string]bool{"tenants": true, "resources": true, "env": true, "podSecurityContext": true, "containerSecurityContext": true}

// valuePaths returns the dotted paths of the leaves of m.
func valuePaths(prefix string, m map[string]any) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		p := k
		if prefix != "" {
			p = prefix + "." + k
		}
		if sub, ok := m[k].(map[string]any); ok && len(sub) > 0 && !opaqueValues[k] {
			out = append(out, valuePaths(p, sub)...)
			continue
		}
		out = append(out, p)
	}
	return out
}

// documented reports whether doc names the value at path p.
func documented(doc, p string) bool {
	variants := []string{p}
	if parts := strings.SplitN(p, ".", 3); len(parts) == 3 && parts[0] == "services" {
		variants = append(variants, "services.<name>."+parts[2])
	}
	for _, v := range variants {
		if strings.Contains(doc, "`"+v+"`") {
			return true
		}
		i := strings.LastIndex(v, ".")
		if i < 0 {
			continue
		}
		parent, leaf := v[:i], v[i+1:]
		for _, line := range strings.Split(doc, "\n") {
			if strings.Contains(line, "`"+parent+".") && strings.Contains(line, "`"+leaf+"`") {
				return true
			}
		}
	}
	return false
}

// TestImageHoldsWhatTheChartRuns checks deploy/Dockerfile against the
// chart: the image builds every folder under services/ into
// /usr/local/bin, which is where each Deployment's command points, from a
// static, reproducible build, and runs as non-root on distroless.
func TestImageHoldsWhatTheChartRuns(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	dockerfile := string(b)
	for _, want := range []string{
		"for dir in services/*/", "COPY --from=build /out/bin/ /usr/local/bin/",
		"CGO_ENABLED=0", "-trimpath", "-buildvcs=false", "-buildid=", "ARG SOURCE_DATE_EPOCH",
		"FROM gcr.io/distroless/static-debian12:nonroot", "USER nonroot:nonroot",
	} {
		if !strings.Contains(dockerfile, want) {
			t.Errorf("deploy/Dockerfile lacks %q", want)
		}
	}
	ignore, err := os.ReadFile("../../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(strings.Split(string(ignore), "\n"), "deploy/credentials") {
		t.Error(".dockerignore does not keep deploy/credentials (private keys) out of the build context")
	}
	dirs := serviceDirs(t)
	for name, d := range ofKind[*appsv1.Deployment](rendered(t, nil, nil)) {
		cmd := d.Spec.Template.Spec.Containers[0].Command
		if len(cmd) != 1 || !strings.HasPrefix(cmd[0], "/usr/local/bin/") || !slices.Contains(dirs, strings.TrimPrefix(cmd[0], "/usr/local/bin/")) {
			t.Errorf("%s runs %q, not a service binary of the image (/usr/local/bin/<folder under services/>)", name, cmd)
		}
	}
}

// TestServiceEnv checks that services.<name>.env reaches that service's
// container after the chart's variables, and no other service's.
func TestServiceEnv(t *testing.T) {
	t.Parallel()
	objs := rendered(t, nil, map[string]any{"services": map[string]any{"ledger": map[string]any{"env": map[string]any{"RETRY_MAX": "30s", "ANCHOR_INTERVAL": "5m"}}}})
	deps := ofKind[*appsv1.Deployment](objs)
	l := deps["o2c-ledger"].Spec.Template.Spec.Containers[0].Env
	if got := l[len(l)-2:]; !cmp.Equal(got, []corev1.EnvVar{{Name: "ANCHOR_INTERVAL", Value: "5m"}, {Name: "RETRY_MAX", Value: "30s"}}) {
		t.Errorf("the ledger's last variables = %v, want ANCHOR_INTERVAL and RETRY_MAX", got)
	}
	if e := env(deps["o2c-ingestion"].Spec.Template.Spec.Containers[0]); e["RETRY_MAX"] != "" {
		t.Errorf("ingestion got the ledger's RETRY_MAX=%s", e["RETRY_MAX"])
	}
}
