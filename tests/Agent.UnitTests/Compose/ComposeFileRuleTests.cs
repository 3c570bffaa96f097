using Agent.Core.Manifests;
using Agent.Core.Security;
using Agent.Sources;

namespace Agent.UnitTests.Compose;

/// <summary>Every file a compose project reads (compose files, include, extends, env files, secrets and configs) is
/// judged by one rule: inside the manifests folder or under AllowedFileRoots, symlinks resolved, never a system path;
/// errors from a file outside the folder never quote its content (probe-15d H2).</summary>
public sealed class ComposeFileRuleTests : IDisposable
{
    private const string Secret = "S3CRET-VALUE-1";
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("agent-compose-rule-");
    private readonly DirectoryInfo outside = Directory.CreateTempSubdirectory("agent-compose-rule-outside-");

    public void Dispose()
    {
        dir.Delete(recursive: true);
        outside.Delete(recursive: true);
    }

    private string Abs(string relative) => Path.Combine(dir.FullName, relative);

    private void Write(string relative, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Abs(relative))!);
        File.WriteAllText(Abs(relative), text);
    }

    private string Outside(string name, string text)
    {
        var path = Path.Combine(outside.FullName, name);
        File.WriteAllText(path, text);
        return path;
    }

    private List<string> Errors(SecurityOptions? options = null) =>
        new ManifestFolder(dir.FullName).Load(new SecurityPolicy(options ?? new SecurityOptions())).Errors.Select(e => e.ToString()).ToList();

    [Fact]
    public void An_extends_file_outside_the_manifests_folder_is_refused_at_its_field_without_its_content()
    {
        var common = Outside("common.yaml", $"services:\n  x: {Secret}\n");
        Write("stk/compose.yaml", $"services:\n  app: {{ image: busybox:1.35, extends: {{ file: {common}, service: x }} }}\n");

        var error = Assert.Single(Errors());
        Assert.StartsWith("stk/compose.yaml:2:", error);
        Assert.Contains($"services.app.extends.file: compose file \"{common}\"", error);
        Assert.Contains("outside the manifests folder", error);
        Assert.DoesNotContain(Secret, error);
    }

    [Fact]
    public void A_system_file_named_by_extends_or_include_is_never_read_nor_quoted()
    {
        Write("stk/compose.yaml", "include: [/etc/passwd]\nservices:\n  app: { image: busybox:1.35, extends: { file: /etc/shadow, service: x } }\n");

        var errors = Errors(new SecurityOptions { AllowedFileRoots = ["/etc"] }); // not even an allowed root opens a system path
        Assert.True(errors.Count == 2, string.Join('\n', errors));
        Assert.Contains(errors, e => e.StartsWith("stk/compose.yaml:1:") && e.Contains("include[0]: compose file \"/etc/passwd\" is not read, as a bind of it would be refused"));
        Assert.Contains(errors, e => e.Contains("services.app.extends.file: compose file \"/etc/shadow\" is not read"));
        Assert.DoesNotContain(errors, e => e.Contains("root:"));
    }

    [Fact]
    public void An_include_through_a_symlink_that_leaves_the_folder_is_refused()
    {
        var other = Outside("other.yaml", $"services: {Secret}\n");
        Write("stk/compose.yaml", "include: [other.inc]\nservices:\n  app: { image: busybox:1.35 }\n");
        File.CreateSymbolicLink(Abs("stk/other.inc"), other);

        var error = Assert.Single(Errors());
        Assert.Contains("include[0]: compose file \"stk/other.inc\" resolves to", error);
        Assert.Contains("(through a symlink: ", error);
        Assert.DoesNotContain(Secret, error);
    }

    [Fact]
    public void Spec_files_and_env_files_of_a_ComposeProject_outside_the_folder_are_refused_at_the_item()
    {
        var compose = Outside("compose.yaml", $"services: {Secret}\n");
        var env = Outside("app.env", $"TAG={Secret}\n");
        Write("stk/compose.yaml", "services:\n  app: { image: busybox:1.35 }\n");
        Write("shop.yaml", $"""
            apiVersion: agent/v1
            kind: ComposeProject
            metadata: {"{"} name: shop {"}"}
            spec:
              files: [stk/compose.yaml, {compose}]
              envFiles: [{env}]
            """);

        var errors = Errors();
        Assert.True(errors.Count == 2, string.Join('\n', errors));
        Assert.Contains(errors, e => e.StartsWith("shop.yaml:5:") && e.Contains($"spec.files[1]: compose file \"{compose}\" resolves to") && e.Contains("outside the manifests folder"));
        Assert.Contains(errors, e => e.StartsWith("shop.yaml:6:") && e.Contains($"spec.envFiles[0]: env file \"{env}\" resolves to"));
        Assert.DoesNotContain(errors, e => e.Contains(Secret));
    }

    [Fact]
    public void Env_files_and_secret_files_outside_the_folder_are_refused_unless_under_an_allowed_root()
    {
        var env = Outside("app.env", "A=1\n");
        var secret = Outside("db.txt", "pw\n");
        Write("stk/compose.yaml", $"services:\n  app: {{ image: busybox:1.35, env_file: [{env}], secrets: [db] }}\nsecrets:\n  db: {{ file: {secret} }}\n");

        var errors = Errors(); // the secret's use is not "not declared" as well: its declaration is the error
        Assert.True(errors.Count == 2, string.Join('\n', errors));
        Assert.DoesNotContain(errors, e => e.Contains("not declared"));
        Assert.Contains(errors, e => e.Contains($"env file \"{env}\" resolves to") && e.Contains("outside the manifests folder"));
        Assert.Contains(errors, e => e.Contains($"secrets.db.file: secret file \"{secret}\" resolves to"));

        // The secret file is also a bind source, which the bind rules judge on their own.
        Assert.Empty(Errors(new SecurityOptions { AllowedFileRoots = [outside.FullName], AllowedBindRoots = [outside.FullName] }));
    }

    [Fact]
    public void Errors_in_an_allowed_file_outside_the_folder_keep_its_place_but_never_quote_its_keys_or_values()
    {
        var included = Outside("db.yaml", $"services: {Secret}\n{Secret}-KEY: 1\n");
        Write("stk/compose.yaml", $"include: [{included}]\nservices:\n  app: {{ image: busybox:1.35 }}\n");

        var errors = Errors(new SecurityOptions { AllowedFileRoots = [outside.FullName] });
        Assert.NotEmpty(errors);
        Assert.All(errors, e => Assert.DoesNotContain(Secret, e));
        Assert.Contains(errors, e => e.StartsWith($"{included}:1:") && e.Contains("its text is not shown"));
    }
}
