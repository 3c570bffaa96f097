using Agent.Core.Manifests;
using Agent.Core.Model;
using Agent.Core.Security;
using Agent.Sources;

namespace Agent.UnitTests.Git;

public sealed class GitRepositoryManifestTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("agent-git-");

    public void Dispose() => dir.Delete(recursive: true);

    private ManifestSet Load(string text)
    {
        File.WriteAllText(Path.Combine(dir.FullName, "repos.yaml"), text);
        return new ManifestFolder(dir.FullName).Load(SecurityPolicy.Default);
    }

    [Fact]
    public void Placement_on_a_GitRepository_is_an_error_at_spec_placement_not_ignored()
    {
        var set = Load("""
            apiVersion: agent/v1
            kind: GitRepository
            metadata: { name: onlyedge }
            spec:
              url: file:///srv/t.git
              placement: { hostSelector: { matchLabels: { role: edge } } }
            """);
        var error = Assert.Single(set.Errors);
        Assert.Equal(("repos.yaml", 6, "spec.placement"), (error.File, error.Line, error.Path));
        Assert.Contains("a GitRepository is not placed", error.Message);
    }

    [Fact]
    public void Flux_shaped_GitRepository_loads_with_every_field()
    {
        var set = Load("""
            apiVersion: agent/v1
            kind: GitRepository
            metadata: { name: platform }
            spec:
              url: ssh://git@git.example/ops/platform.git
              ref: { tag: v1.2.0 }
              path: ./hosts/edge/
              interval: 30s
              timeout: 20s
              secretRef: { sshKeyFile: /etc/agent/git/id_ed25519, knownHostsFile: /etc/agent/git/known_hosts }
              verify: { allowedSignersFile: /etc/agent/git/allowed_signers }
              webhook: { secretFile: /etc/agent/git/hook }
              suspend: false
              prune: false
            """);
        Assert.Empty(set.Errors);
        var repo = Assert.IsType<GitRepository>(set.Objects[new ObjectKey(GitRepository.KindName, "platform")]);
        Assert.Equal("refs/tags/v1.2.0", repo.Spec.Ref.FetchTarget);
        Assert.Equal("hosts/edge", repo.Spec.Path);
        Assert.Equal(TimeSpan.FromSeconds(30), repo.Spec.Interval);
        Assert.Equal("/etc/agent/git/id_ed25519", repo.Spec.SecretRef!.SshKeyFile);
        Assert.Equal("/etc/agent/git/allowed_signers", repo.Spec.AllowedSignersFile);
        Assert.False(repo.Spec.Prune);
    }

    [Theory]
    [InlineData("url: https://user:secret@git.example/x.git", "repos.yaml:5:8: spec.url: the URL https://git.example/x.git holds a password")]
    [InlineData("url: ext::sh -c evil", "spec.url: the URL ext::sh -c evil uses git's remote-helper form \"ext::\"")]
    [InlineData("url: ext::evil", "spec.url: the URL ext::evil uses git's remote-helper form \"ext::\"")]
    [InlineData("url: fd::17", "uses git's remote-helper form \"fd::\"")]
    [InlineData("url: git@host::x", "uses git's remote-helper form")]
    [InlineData("url: ftp://git.example/x.git", "only https://, http://, ssh://, git://, file:// and user@host:path are allowed")]
    [InlineData("url: -uhack", "must not start with '-'")]
    [InlineData("url: file:///srv/x.git\n  path: ../etc", "spec.path: \"../etc\" must be a folder inside the repository")]
    [InlineData("url: file:///srv/x.git\n  path: \"..\"", "spec.path: \"..\" must be a folder inside the repository")]
    [InlineData("url: file:///srv/x.git\n  path: ../..", "spec.path: \"../..\" must be a folder inside the repository")]
    [InlineData("url: file:///srv/x.git\n  ref: { branch: main, tag: v1 }", "name only one of branch, tag, semver or commit")]
    [InlineData("url: file:///srv/x.git\n  ref: { branch: \"--upload-pack=x\" }", "is not a valid branch name")]
    [InlineData("url: file:///srv/x.git\n  ref: { commit: abc }", "is not a full commit id")]
    [InlineData("url: file:///srv/x.git\n  ref: { semver: banana }", "repos.yaml:6:18: spec.ref.semver: \"banana\" is not a semver range")]
    [InlineData("url: https://git.example/x.git\n  secretRef: { sshKeyFile: /k, knownHostsFile: /h }", "sshKeyFile and knownHostsFile are for ssh:// URLs")]
    [InlineData("url: ssh://git@git.example/x.git\n  secretRef: { sshKeyFile: /k }", "sshKeyFile needs knownHostsFile")]
    [InlineData("url: https://git.example/x.git\n  secretRef: { tokenFile: token }", "\"token\" must be an absolute path")]
    [InlineData("url: file:///srv/x.git\n  interval: 10ms", "interval 10ms is too short")]
    [InlineData("url: http://git.example/x.git\n  secretRef: { tokenFile: /t }", "repos.yaml:6:27: spec.secretRef.tokenFile: credentials are not sent over plain http://")]
    [InlineData("url: http://git.example/x.git\n  secretRef: { usernameFile: /u, passwordFile: /p }", "spec.secretRef.usernameFile: credentials are not sent over plain http://")]
    [InlineData("url: file:///srv/x.git\n  bogus: 1", "spec.bogus")]
    public void A_bad_GitRepository_is_an_error_with_file_line_and_field(string spec, string expected)
    {
        var set = Load($"apiVersion: agent/v1\nkind: GitRepository\nmetadata: {{ name: platform }}\nspec:\n  {spec}\n");
        var errors = set.Errors.Select(e => e.ToString()).ToList();
        Assert.Contains(errors, e => e.Contains(expected, StringComparison.Ordinal) && e.StartsWith("repos.yaml:", StringComparison.Ordinal));
        Assert.Empty(set.Objects);
    }

    [Fact]
    public void A_pinned_commit_is_reported_as_sha1_without_a_ref_name_like_Flux()
    {
        var commit = new string('a', 40);
        Assert.Equal($"sha1:{commit}", GitDocuments.Revision(new GitRef(Commit: commit), commit));
        Assert.Equal($"main@sha1:{commit}", GitDocuments.Revision(new GitRef(Branch: "main"), commit));
        Assert.Equal($"v1.2.0@sha1:{commit}", GitDocuments.Revision(new GitRef(Semver: "^1"), commit, "v1.2.0"));
    }

    [Fact]
    public void Credentials_over_plain_http_need_spec_insecure()
    {
        var set = Load("apiVersion: agent/v1\nkind: GitRepository\nmetadata: { name: platform }\nspec:\n  url: http://git.example/x.git\n  insecure: true\n  secretRef: { tokenFile: /t }\n");
        Assert.Empty(set.Errors);
        Assert.True(Assert.IsType<GitRepository>(set.Objects[new ObjectKey(GitRepository.KindName, "platform")]).Spec.Insecure);
    }

    [Theory]
    [InlineData("https://git.example/x.git?private_token=SUPERSECRET77")]
    [InlineData("http://127.0.0.1:18977/x.git?a=1&sig=SUPERSECRET77")]
    [InlineData("HTTPS://git.example/x.git#SUPERSECRET77")]
    public void A_query_string_or_fragment_in_an_http_url_is_an_error_at_spec_url_that_does_not_echo_it(string url)
    {
        var set = Load($"apiVersion: agent/v1\nkind: GitRepository\nmetadata: {{ name: platform }}\nspec:\n  url: \"{url}\"\n");
        var error = Assert.Single(set.Errors).ToString();
        Assert.StartsWith("repos.yaml:5:8: spec.url: the URL ", error);
        Assert.Contains("holds a query string or fragment", error);
        Assert.DoesNotContain("SUPERSECRET77", error);
    }

    [Theory]
    [InlineData("https://ghp_SUPERSECRET77@git.example/x.git")]
    [InlineData("https://oauth2@git.example/x.git")]
    [InlineData("https://glpat-SUPERSECRET77@git.example:8443/x.git")]
    [InlineData("http://SUPERSECRET77@git.example/x.git")]
    [InlineData("git://SUPERSECRET77@git.example/x.git")]
    [InlineData("file://SUPERSECRET77@/srv/x.git")]
    public void Any_user_name_in_a_non_ssh_url_is_an_error_at_spec_url_that_does_not_echo_it(string url)
    {
        var set = Load($"apiVersion: agent/v1\nkind: GitRepository\nmetadata: {{ name: platform }}\nspec:\n  url: {url}\n");
        var error = Assert.Single(set.Errors).ToString();
        Assert.StartsWith("repos.yaml:5:8: spec.url: the URL ", error);
        Assert.Contains("holds a user name", error);
        Assert.Contains("spec.secretRef.tokenFile", error);
        Assert.DoesNotContain("SUPERSECRET77", error);
        Assert.DoesNotContain("ghp_", error);
        Assert.DoesNotContain("oauth2", error);
        Assert.Empty(set.Objects);
    }

    [Theory]
    [InlineData("ssh://git@git.example/x.git")]
    [InlineData("git@git.example:ops/x.git")]
    [InlineData("git@git.example:/srv/git/ops/x.git")] // an absolute path on the server (probe-13b B9: was refused)
    public void An_ssh_user_name_is_allowed(string url)
    {
        var set = Load($"apiVersion: agent/v1\nkind: GitRepository\nmetadata: {{ name: platform }}\nspec:\n  url: {url}\n");
        Assert.Empty(set.Errors);
        Assert.Single(set.Objects);
    }

    [Theory]
    [InlineData("https://ghp_x@host/x.git", true)]
    [InlineData("HTTPS://oauth2@host/x.git", true)]
    [InlineData("git://u@host/x.git", true)]
    [InlineData("ssh://git:pw@host/x.git", true)]
    [InlineData("ssh://git@host/x.git", false)]
    [InlineData("https://host/x.git", false)]
    [InlineData("refs/heads/main", false)]
    [InlineData("-C", false)]
    [InlineData("https://host/x.git?private_token=SECRET", true)]
    [InlineData("HTTP://host/x.git#SECRET", true)]
    [InlineData("+refs/tags/*:refs/tags/*", false)]
    public void Git_command_line_arguments_carrying_credentials_are_recognised(string arg, bool carries) =>
        Assert.Equal(carries, Core.Git.GitUrls.CarriesCredentials(arg));

    [Theory]
    [InlineData("https://user:pa55@host/x.git fatal", "https://host/x.git fatal")]
    [InlineData("fatal: unable to access 'https://tok3n@host/x.git/': 403", "fatal: unable to access 'https://host/x.git/': 403")]
    [InlineData("no url here", "no url here")]
    [InlineData("root@127.0.0.1: Permission denied (publickey).", "127.0.0.1: Permission denied (publickey).")]
    [InlineData("fatal: 'git@github.com:org/x.git' does not appear", "fatal: 'github.com:org/x.git' does not appear")]
    [InlineData("Warning: Permanently added '[127.0.0.1]:2222'", "Warning: Permanently added '[127.0.0.1]:2222'")]
    [InlineData("fatal: unable to access 'http://127.0.0.1:1/x.git?private_token=SECRET/': 403", "fatal: unable to access 'http://127.0.0.1:1/x.git?…': 403")]
    [InlineData("at https://u@h/x.git?sig=SECRET&a=1 now", "at https://h/x.git?… now")]
    public void Urls_with_passwords_or_queries_are_scrubbed_from_text(string text, string expected) =>
        Assert.Equal(expected, Core.Git.GitUrls.Scrub(text));

    [Theory]
    [InlineData("https://user@git.example/x.git", "https://git.example/x.git")]
    [InlineData("https://user:pw@git.example:8443/x.git", "https://git.example:8443/x.git")]
    [InlineData("ssh://git@git.example/x.git", "ssh://git.example/x.git")]
    [InlineData("git@git.example:ops/x.git", "git.example:ops/x.git")]
    [InlineData("root@localhost:/tmp/x.git", "localhost:/tmp/x.git")]
    [InlineData("file:///srv/x.git", "file:///srv/x.git")]
    [InlineData("https://git.example/x.git?private_token=SECRET", "https://git.example/x.git?…")]
    [InlineData("http://oauth2@127.0.0.1:1/x.git#SECRET", "http://127.0.0.1:1/x.git?…")]
    [InlineData("HTTPS://git.example?sig=SECRET", "HTTPS://git.example?…")]
    public void Displayed_urls_carry_no_user_information_nor_an_http_query(string url, string shown) =>
        Assert.Equal(shown, Core.Git.GitUrls.Redact(url));

    [Theory]
    [InlineData("main", "branch", "main")]
    [InlineData("release/1.x", "branch", "release/1.x")]
    [InlineData("tag:v1.0.0", "tag", "v1.0.0")]
    [InlineData("semver:^1.2", "semver", "^1.2")]
    [InlineData("commit:0123456789abcdef0123456789abcdef01234567", "commit", "0123456789abcdef0123456789abcdef01234567")]
    [InlineData("branch:tag:x", "branch", "tag:x")]
    [InlineData("other:x", "branch", "other:x")]
    public void Git_ref_flag_names_a_branch_unless_prefixed_with_its_kind(string flag, string kind, string name) =>
        Assert.Equal((kind, name), GitDocuments.CommandLineRef(flag));

    [Fact]
    public void A_timeout_names_gits_subcommand_never_the_cache_folder() =>
        Assert.Equal("repack", GitCli.Subcommand(["-C", "/state/git/x/cache.git", "-c", "repack.writeBitmaps=false", "repack", "-a"]));
}
