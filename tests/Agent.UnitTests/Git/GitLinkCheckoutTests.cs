using System.Formats.Tar;
using Agent.Core.Model;
using Agent.Core.Security;
using Agent.Sources;
using static Agent.UnitTests.TestTars;

namespace Agent.UnitTests.Git;

/// <summary>Symbolic links of a repository's tree (probe-13 F4/F5): links that leave the repository are not checked out
/// and block nothing unless a manifest needs them (then an error at the user's line naming the repository path); a
/// bind of a folder linked inside the repository runs from a copy under the bind's own name.</summary>
public sealed class GitLinkCheckoutTests : IDisposable
{
    private readonly DirectoryInfo temp = Directory.CreateTempSubdirectory("agent-git-links-");

    public void Dispose() => temp.Delete(recursive: true);

    private static PaxTarEntry Dir(string name) => new(TarEntryType.Directory, name);

    private static PaxTarEntry Link(string name, string target) => new(TarEntryType.SymbolicLink, name) { LinkName = target };

    private string Root(string name = "checkout") => Directory.CreateDirectory(Path.Combine(temp.FullName, name)).FullName;

    [Fact]
    public async Task Links_that_leave_the_repository_are_not_checked_out_and_the_rest_is()
    {
        var root = Root();
        var skipped = await GitTreeExtraction.ExtractAsync(Tar(
            Dir("apps/"), TextFile("apps/web.yaml", "x"), Dir("apps/www/"), TextFile("apps/www/index.html", "v1"), Dir("docs/"),
            Link("docs/shared", "/usr/share/doc"), Link("apps/rel", "../../../../etc"), Link("apps/inrepo", "www"),
            Link("apps/up", ".."), Link("apps/through", "up/.."), Link("apps/deep/x", "../www")), root, CancellationToken.None);

        Assert.Equal(["apps/rel -> ../../../../etc", "apps/through -> up/..", "docs/shared -> /usr/share/doc"],
            skipped.Select(l => $"{l.Path} -> {l.Target}").Order(StringComparer.Ordinal));
        Assert.False(Path.Exists(Path.Combine(root, "docs/shared")) || new FileInfo(Path.Combine(root, "docs/shared")).LinkTarget is not null);
        Assert.False(new FileInfo(Path.Combine(root, "apps/through")).LinkTarget is not null, "a link leaving the root on disk is removed");
        Assert.Equal("v1", System.IO.File.ReadAllText(Path.Combine(root, "apps/inrepo/index.html")));
        Assert.Equal("www", new FileInfo(Path.Combine(root, "apps/inrepo")).LinkTarget);
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("/abs")]
    [InlineData("apps/../x")]
    public async Task An_entry_named_outside_the_root_fails_the_checkout(string name) =>
        await Assert.ThrowsAsync<InvalidDataException>(() => GitTreeExtraction.ExtractAsync(Tar(TextFile(name, "x")), Root(), CancellationToken.None));

    [Fact]
    public async Task An_entry_never_writes_through_a_link() =>
        await Assert.ThrowsAsync<InvalidDataException>(() =>
            GitTreeExtraction.ExtractAsync(Tar(Dir("www/"), Link("l", "www"), TextFile("l/x", "through")), Root(), CancellationToken.None));

    private (GitDocuments Documents, GitRepository Repo) Documents()
    {
        var options = Microsoft.Extensions.Options.Options.Create(new Agent.Hosting.AgentOptions { StateDir = Path.Combine(temp.FullName, "state") });
        var repo = new GitRepository(new ObjectMetadata("platform", new Dictionary<string, string>(), new Dictionary<string, string>()),
            new GitRepositorySpec { Url = "file:///r.git", Path = "apps" }, new SourceLocation("platform.yaml", 1, 1));
        return (new GitDocuments(new GitCheckouts(options), SecurityPolicy.Default, options), repo);
    }

    private static string Group(string volumes) =>
        $"apiVersion: agent/v1\nkind: ServiceGroup\nmetadata:\n  name: web\nspec:\n  services:\n    - name: s\n      image: busybox:1.35\n      volumes:\n        - \"{volumes}\"\n";

    [Fact]
    public async Task A_manifest_that_needs_a_skipped_link_is_an_error_at_its_line_naming_the_repository_path()
    {
        var root = Root();
        var skipped = await GitTreeExtraction.ExtractAsync(Tar(Dir("apps/"), TextFile("apps/web.yaml", Group("./etclink:/x:ro")),
            Link("apps/etclink", "/etc"), Link("apps/other.yaml", "/etc/agent/other.yaml"), Link("docs", "/usr/share/doc")), root, CancellationToken.None);
        var (documents, repo) = Documents();
        var errors = documents.Read(repo, new GitCheckout("platform", "c1", root) { SkippedLinks = skipped })
            .SelectMany(d => d.Errors).Select(e => e.ToString()).ToList();

        Assert.Equal(2, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("GitRepository/platform/apps/web.yaml:10:", StringComparison.Ordinal)
                                     && e.Contains("is a symbolic link that leaves the repository (apps/etclink -> /etc)", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("GitRepository/platform/apps/other.yaml:1:1", StringComparison.Ordinal) && e.Contains("to /etc/agent/other.yaml"));
        Assert.DoesNotContain(temp.FullName, string.Join("\n", errors));
    }

    [Fact]
    public async Task An_unused_link_out_of_the_repository_blocks_nothing()
    {
        var root = Root();
        var skipped = await GitTreeExtraction.ExtractAsync(Tar(Dir("apps/"), Dir("apps/www/"), TextFile("apps/www/i", "v1"), TextFile("apps/web.yaml", Group("./www:/x:ro")),
            Link("apps/etclink", "/etc"), Link("docs", "/usr/share/doc")), root, CancellationToken.None);
        var (documents, repo) = Documents();
        Assert.Empty(documents.Read(repo, new GitCheckout("platform", "c1", root) { SkippedLinks = skipped }).SelectMany(d => d.Errors));
    }

    [Fact]
    public async Task A_bind_of_a_folder_linked_inside_the_repository_runs_from_a_copy_named_after_the_bind()
    {
        var root = Root();
        await GitTreeExtraction.ExtractAsync(Tar(Dir("apps/"), Dir("apps/www/"), TextFile("apps/www/index.html", "v1"),
            Link("apps/inrepo", "www"), TextFile("apps/web.yaml", Group("./inrepo:/x:ro")),
            TextFile("apps/plain.yaml", Group("./www:/y:ro").Replace("name: web", "name: plain"))), root, CancellationToken.None);
        var (documents, repo) = Documents();
        var read = documents.Read(repo, new GitCheckout("platform", "c1", root));
        Assert.Empty(read.SelectMany(d => d.Errors));
        foreach (var group in read.Select(d => d.Object).OfType<ServiceGroup>())
        {
            var source = Assert.Single(group.Spec.Services[0].Container.Mounts).Source!;
            Assert.Contains("/.binds/platform/", source);
            Assert.Equal("v1", System.IO.File.ReadAllText(Path.Combine(source, "index.html")));
        }
    }

    [Fact]
    public async Task A_bind_of_a_dangling_link_is_an_error_at_the_volume_item_without_a_host_path()
    {
        var root = Root();
        await GitTreeExtraction.ExtractAsync(Tar(Dir("apps/"), Link("apps/inrepo", "../www"), TextFile("apps/web.yaml", Group("./inrepo:/x:ro"))), root, CancellationToken.None);
        var (documents, repo) = Documents();
        var error = Assert.Single(documents.Read(repo, new GitCheckout("platform", "c1", root)).SelectMany(d => d.Errors)).ToString();
        Assert.StartsWith("GitRepository/platform/apps/web.yaml:10:", error);
        Assert.Contains("is a dangling symbolic link in the repository (apps/inrepo -> ../www)", error);
        Assert.DoesNotContain(temp.FullName, error);
    }
}
