package validate

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// LoadCompose loads a compose file the way `docker compose` does: it is
// validated against the Compose specification's schema, interpolated
// (with env as the environment), normalised and checked for consistency
// (every network, volume and config a service uses is declared).
func LoadCompose(ctx context.Context, path string, env map[string]string) (*types.Project, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("compose %s: %w", path, err)
	}
	details := types.ConfigDetails{
		WorkingDir:  filepath.Dir(abs),
		ConfigFiles: []types.ConfigFile{{Filename: abs}},
		Environment: env,
	}
	p, err := loader.LoadWithContext(ctx, details, func(o *loader.Options) {
		o.SetProjectName("quarry", true)
	})
	if err != nil {
		return nil, fmt.Errorf("compose %s: %w", path, err)
	}
	return p, nil
}

// QuarryCommands returns, for every service of p whose image is built
// from the Quarry Dockerfile, its command (the quarry arguments; the
// image's entrypoint is the quarry binary). The key is the service name.
func QuarryCommands(p *types.Project, dockerfile string) map[string][]string {
	out := map[string][]string{}
	for name, s := range p.Services {
		if s.Build == nil || filepath.Base(s.Build.Dockerfile) != filepath.Base(dockerfile) {
			continue
		}
		out[name] = append([]string(nil), s.Command...)
	}
	return out
}

// DockerfileInfo is what the checks learn from a Dockerfile.
type DockerfileInfo struct {
	Stages     int    // build stages
	FinalBase  string // base image of the last stage
	FinalUser  string // the last USER of the last stage ("" when none)
	Entrypoint []string
}

// ParseDockerfile parses a Dockerfile with BuildKit's own parser and
// instruction decoder, then checks that it is multi-stage and that the
// final stage runs as a user that is not root (by a USER instruction
// naming neither root nor uid 0).
func ParseDockerfile(data []byte) (*DockerfileInfo, error) {
	res, err := parser.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("dockerfile: %w", err)
	}
	stages, _, err := instructions.Parse(res.AST, nil)
	if err != nil {
		return nil, fmt.Errorf("dockerfile: %w", err)
	}
	if len(stages) < 2 {
		return nil, fmt.Errorf("dockerfile: %d stage(s); want a build stage and a final stage", len(stages))
	}
	last := stages[len(stages)-1]
	info := &DockerfileInfo{Stages: len(stages), FinalBase: last.BaseName}
	for _, c := range last.Commands {
		switch c := c.(type) {
		case *instructions.UserCommand:
			info.FinalUser = c.User
		case *instructions.EntrypointCommand:
			info.Entrypoint = c.CmdLine
		}
	}
	if info.FinalUser == "" {
		return nil, fmt.Errorf("dockerfile: final stage (FROM %s) has no USER: it would run as root", last.BaseName)
	}
	user, _, _ := strings.Cut(info.FinalUser, ":")
	if user == "root" || user == "0" {
		return nil, fmt.Errorf("dockerfile: final stage (FROM %s): USER %s is root", last.BaseName, info.FinalUser)
	}
	return info, nil
}

// services are the quarry subcommands the deploy files run.
var services = map[string]bool{"coordinator": true, "worker": true, "crmapi": true}

// CheckArgs checks a quarry command line of a deploy file against the
// real binary: the first argument must be a service subcommand, and the
// binary must accept the flags (names, and values of the right type):
// it runs `quarry ARGS --help`, which parses every flag and exits 0
// without starting anything, or fails naming the flag at fault.
func CheckArgs(ctx context.Context, quarry string, args []string) error {
	if len(args) == 0 || !services[args[0]] {
		return fmt.Errorf("quarry %s: the first argument is not coordinator, worker or crmapi", strings.Join(args, " "))
	}
	cmd := exec.CommandContext(ctx, quarry, append(append([]string(nil), args...), "--help")...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		first, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
		return fmt.Errorf("quarry %s: %w: %s", strings.Join(args, " "), err, first)
	}
	return nil
}
