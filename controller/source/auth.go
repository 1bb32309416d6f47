package source

import (
	"fmt"
	"net"
	"path/filepath"
	"strconv"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
)

// The environment variables AuthFromEnv reads.
const (
	// EnvGitToken is the token for an https remote (a GitHub or GitLab
	// access token), sent as the password of HTTP basic authentication.
	EnvGitToken = "ACCORD_GIT_TOKEN"
	// EnvGitUser is the user name sent with the token; GitHub's
	// "x-access-token" when it is not set.
	EnvGitUser = "ACCORD_GIT_USER"
	// EnvGitSSHPassphrase decrypts the ssh private key, when it is
	// encrypted.
	EnvGitSSHPassphrase = "ACCORD_GIT_SSH_PASSPHRASE" //nolint:gosec // G101: the name of a variable, not its value
	// EnvGitSSHKnownHosts is the known_hosts file (or several, separated
	// as in PATH) that an ssh remote's host key must be in. When it is not
	// set, go-git's default applies: the files in SSH_KNOWN_HOSTS, else
	// ~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts. A host key is
	// always checked: there is no switch to skip that.
	EnvGitSSHKnownHosts = "ACCORD_GIT_SSH_KNOWN_HOSTS"
)

// DefaultGitUser is the user name sent with ACCORD_GIT_TOKEN when
// ACCORD_GIT_USER is not set: the one GitHub documents for tokens. GitLab
// takes any name with a token.
const DefaultGitUser = "x-access-token"

// AuthFromEnv is how accord authenticates to the remote at url, from the
// environment (lookup is os.LookupEnv, or a map in tests) and an ssh
// private key file:
//
//   - https: the token in ACCORD_GIT_TOKEN with the user ACCORD_GIT_USER;
//     nil without a token (a public repository, or a password in url).
//   - http: nil; a token is refused rather than sent in the clear.
//   - ssh (ssh:// or git@host:path): the key in sshKeyFile, decrypted with
//     ACCORD_GIT_SSH_PASSPHRASE when it is encrypted, the host checked
//     against ACCORD_GIT_SSH_KNOWN_HOSTS; without a key file nil, which
//     makes go-git ask the ssh agent (SSH_AUTH_SOCK), unless known hosts are
//     named, then the agent is asked here with them.
//   - file:// and local paths, git://: nil.
//
// A key file given for a remote that is not ssh is an error: it would be
// silently unused.
func AuthFromEnv(url string, lookup func(string) (string, bool), sshKeyFile string) (transport.AuthMethod, error) {
	display, secrets := stripPassword(url)
	ep, err := transport.NewEndpoint(url)
	if err != nil {
		return nil, redacted(fmt.Errorf("git remote %s: %w", display, err), secrets)
	}
	env := func(name string) string {
		v, _ := lookup(name)
		return v
	}
	if sshKeyFile != "" && ep.Protocol != "ssh" {
		return nil, fmt.Errorf("git remote %s: an ssh key (%s) is for ssh remotes only", display, sshKeyFile)
	}
	switch ep.Protocol {
	case "https":
		token := env(EnvGitToken)
		if token == "" {
			return nil, nil
		}
		user := env(EnvGitUser)
		if user == "" {
			user = DefaultGitUser
		}
		return &githttp.BasicAuth{Username: user, Password: token}, nil
	case "http":
		if env(EnvGitToken) != "" {
			return nil, fmt.Errorf("git remote %s: %s is not sent over plain http; use https", display, EnvGitToken)
		}
		return nil, nil
	case "ssh":
		return sshAuth(ep, display, env, sshKeyFile)
	case "file", "git":
		return nil, nil
	}
	return nil, fmt.Errorf("git remote %s: accord does not fetch over %s", display, ep.Protocol)
}

func sshAuth(ep *transport.Endpoint, display string, env func(string) string, keyFile string) (transport.AuthMethod, error) {
	user := ep.User
	if user == "" {
		user = gitssh.DefaultUsername
	}
	knownHosts := env(EnvGitSSHKnownHosts)
	var (
		auth   transport.AuthMethod
		helper *gitssh.HostKeyCallbackHelper
	)
	switch {
	case keyFile != "":
		keys, err := gitssh.NewPublicKeysFromFile(user, keyFile, env(EnvGitSSHPassphrase))
		if err != nil {
			return nil, fmt.Errorf("git remote %s: ssh key %s: %w", display, keyFile, err)
		}
		auth, helper = keys, &keys.HostKeyCallbackHelper
	case knownHosts != "":
		agent, err := gitssh.NewSSHAgentAuth(user)
		if err != nil {
			return nil, fmt.Errorf("git remote %s: no ssh key file, and the ssh agent: %w", display, err)
		}
		auth, helper = agent, &agent.HostKeyCallbackHelper
	default:
		return nil, nil // go-git's default: the ssh agent, the default known hosts
	}
	if knownHosts != "" {
		db, err := gitssh.NewKnownHostsDb(filepath.SplitList(knownHosts)...)
		if err != nil {
			return nil, fmt.Errorf("git remote %s: %s: %w", display, EnvGitSSHKnownHosts, err)
		}
		port := ep.Port
		if port == 0 {
			port = 22
		}
		helper.HostKeyCallback = db.HostKeyCallback()
		// The algorithms of the keys known for the host, so that the server
		// is asked for a key known_hosts has and not for another it also has.
		helper.HostKeyAlgorithms = db.HostKeyAlgorithms(net.JoinHostPort(ep.Host, strconv.Itoa(port)))
	}
	return auth, nil
}
