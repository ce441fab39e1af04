package deploy

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

func loadCompose(t *testing.T) *types.Project {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{"../docker-compose.yml"},
		cli.WithWorkingDirectory(".."), cli.WithName("o2c"), cli.WithResolvedPaths(false))
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("docker-compose.yml does not load: %v", err)
	}
	return p
}

// serviceDirs returns the names of the folders under services/.
func serviceDirs(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir("../services")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		t.Fatal("no services under services/")
	}
	return names
}

func TestComposeHasEveryService(t *testing.T) {
	p := loadCompose(t)
	for _, name := range serviceDirs(t) {
		t.Run(name, func(t *testing.T) {
			svc, ok := p.Services[name]
			if !ok {
				t.Fatalf("docker-compose.yml has no service %q for services/%s", name, name)
			}
			if svc.Build == nil {
				t.Fatalf("%s: no build section", name)
			}
			if got := filepath.ToSlash(svc.Build.Dockerfile); got != "deploy/Dockerfile" {
				t.Errorf("%s: dockerfile = %q, want deploy/Dockerfile", name, got)
			}
			if arg := svc.Build.Args["SERVICE"]; arg == nil || *arg != name {
				t.Errorf("%s: build arg SERVICE = %v, want %q", name, arg, name)
			}
			for _, key := range []string{"DATABASE_URL", "NATS_URL", "OTEL_EXPORTER_OTLP_ENDPOINT", "O2C_TENANTS", "O2C_AUTH"} {
				if v := svc.Environment[key]; v == nil || *v == "" {
					t.Errorf("%s: environment lacks %s", name, key)
				}
			}
			// The tenants file must be mounted where O2C_TENANTS points.
			if v := svc.Environment["O2C_TENANTS"]; v != nil {
				mounted := false
				for _, vol := range svc.Volumes {
					mounted = mounted || (vol.Target == *v && filepath.ToSlash(vol.Source) == "./deploy/tenants.json")
				}
				if !mounted {
					t.Errorf("%s: deploy/tenants.json is not mounted at O2C_TENANTS=%s", name, *v)
				}
			}
			for _, dep := range []string{"postgres", "nats"} {
				d, ok := svc.DependsOn[dep]
				if !ok || d.Condition != types.ServiceConditionHealthy {
					t.Errorf("%s: must depend on %s with condition service_healthy, got %+v", name, dep, d)
				}
			}
		})
	}
}

func TestComposeHostPortsDoNotCollide(t *testing.T) {
	p := loadCompose(t)
	seen := map[string]string{}
	for name, svc := range p.Services {
		for _, port := range svc.Ports {
			if port.Published == "" {
				continue
			}
			key := port.HostIP + ":" + port.Published + "/" + port.Protocol
			if other, dup := seen[key]; dup {
				t.Errorf("host port %s is published by both %s and %s", key, other, name)
			}
			seen[key] = name
		}
	}
	if len(seen) == 0 {
		t.Error("no published ports found; the check would be vacuous")
	}
}

func TestDockerfileTakesServiceArgument(t *testing.T) {
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ARG SERVICE", "./services/${SERVICE}"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("deploy/Dockerfile lacks %q", want)
		}
	}
}
