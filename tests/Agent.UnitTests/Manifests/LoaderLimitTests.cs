using System.Text;
using Agent.Core.Manifests;
using Agent.Core.Security;

namespace Agent.UnitTests.Manifests;

/// <summary>Hostile input is refused cheaply with an error at file:line:column; nothing escapes the loader.</summary>
public sealed class LoaderLimitTests
{
    private const string Group = "apiVersion: agent/v1\nkind: ServiceGroup\nmetadata:\n  name: web\nspec:\n  services:\n    - name: web\n      image: busybox:1.35\n";

    private static IReadOnlyList<ManifestDocument> Load(byte[] content, ManifestLimits? limits = null) =>
        ManifestParser.ParseFile("hostile.yaml", content, MemoryManifestFiles.Instance, SecurityPolicy.Default, limits);

    private static IReadOnlyList<ManifestDocument> Load(string text, ManifestLimits? limits = null) => Load(Encoding.UTF8.GetBytes(text), limits);

    private static string OnlyError(IReadOnlyList<ManifestDocument> documents) =>
        Assert.Single(documents.SelectMany(d => d.Errors)).ToString();

    private static (IReadOnlyList<ManifestDocument> Documents, long Allocated) Measure(byte[] content)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var documents = Load(content);
        return (documents, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Thirty_thousand_nested_brackets_are_an_error_at_the_first_level_too_deep_not_a_stack_overflow()
    {
        var (documents, allocated) = Measure(Encoding.UTF8.GetBytes(new string('[', 30_000) + new string(']', 30_000)));
        Assert.Equal("hostile.yaml:1:65: nested deeper than 64 levels (Agent:Limits:MaxDepth)", OnlyError(documents));
        Assert.True(allocated < 16 << 20, $"allocated {allocated} bytes");
    }

    [Fact]
    public void A_file_that_is_one_long_scalar_is_not_quoted_in_its_error()
    {
        var key = "-----BEGIN PRIVATE KEY-----\n" + string.Concat(Enumerable.Repeat("SECRETKEYMATERIAL0123456789abcdef\n", 60)) + "-----END PRIVATE KEY-----\n";
        var error = OnlyError(Load(key));
        Assert.StartsWith("hostile.yaml:1:1: expected a mapping with apiVersion, kind, metadata, spec, got a scalar of ", error);
        Assert.DoesNotContain("PRIVATE", error);
        Assert.DoesNotContain("SECRET", error);
    }

    // probe-16 F12: 40 characters were the whole of a password, and 34 of the 48 hex characters of the admin token.
    [Theory]
    [InlineData("DB_PASSWORD=Sup3rS3cretPw!\n", "Sup3r")]
    [InlineData("admin:0e5d1560e04c656e756f19f4e7d9acc4ebd3c2a1b0f9e8d7\nviewer:1234567890abcdef1234567890abcdef1234567890abcdef\n", "0e5d")]
    [InlineData("hunter2", "hunter")]
    [InlineData("\"Sup3rS3cretPw!\"", "Sup3r")]
    public void A_secret_like_scalar_file_is_described_never_quoted(string content, string secret)
    {
        var error = OnlyError(Load(content));
        Assert.Contains("got a scalar of ", error);
        Assert.Contains("not shown", error);
        Assert.DoesNotContain(secret, error);
        Assert.DoesNotContain("admin", error);
        Assert.DoesNotContain("DB_PASSWORD", error);
    }

    [Fact]
    public void A_sequence_document_is_described_never_quoted()
    {
        var error = OnlyError(Load("- Sup3rS3cretPw!\n- 0e5d1560e04c656e\n"));
        Assert.Equal("hostile.yaml:1:1: expected a mapping with apiVersion, kind, metadata, spec, got a list", error);
    }

    [Fact]
    public void A_mapping_that_is_not_a_manifest_names_no_key_or_value_of_it()
    {
        var errors = Load("password: Sup3rS3cretPw!\nghp_TOKENabcdef0123456789: x\napiVersion: v1Sup3r\nkind: Secret\nspec: {data: Sup3rS3cretPw!}\n")
            .SelectMany(d => d.Errors).Select(e => e.ToString()).ToList();
        Assert.All(errors, e => Assert.DoesNotContain("Sup3r", e));
        Assert.All(errors, e => Assert.DoesNotContain("ghp_", e));
        Assert.All(errors, e => Assert.DoesNotContain("password", e));
        Assert.All(errors, e => Assert.DoesNotContain("Secret\"", e));
        Assert.Contains(errors, e => e.StartsWith("hostile.yaml:1:1: unknown field of 8 characters (not shown", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("hostile.yaml:3:13: apiVersion: unknown apiVersion: a scalar of 7 characters", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("hostile.yaml:4:7: kind: unknown kind: a scalar of 6 characters", StringComparison.Ordinal));
        Assert.True(errors.Count == 4, string.Join("\n", errors));
    }

    [Fact]
    public void A_near_miss_of_a_top_level_field_in_an_unrecognised_document_is_still_named()
    {
        var errors = Load("apiVerison: agent/v1\nkind: Deployment\n").SelectMany(d => d.Errors).Select(e => e.ToString()).ToList();
        Assert.Contains("hostile.yaml:1:1: unknown field \"apiVerison\" (did you mean \"apiVersion\"?)", errors);
        Assert.Contains("hostile.yaml:1:1: missing required field \"apiVersion\" (use agent/v1)", errors);
    }

    [Fact]
    public void A_wrong_value_of_a_known_field_in_a_manifest_is_quoted_by_at_most_40_characters()
    {
        var errors = Load(Group + "      restart: " + new string('x', 40) + "SECRETTAIL\n" + "  phase: " + new string('y', 40) + "SECRETTAIL\n")
            .SelectMany(d => d.Errors).Select(e => e.ToString()).ToList();
        Assert.Equal(2, errors.Count);
        Assert.All(errors, e => Assert.DoesNotContain("SECRETTAIL", e));
        Assert.Contains(errors, e => e.Contains("\"" + new string('x', 40) + "...\" (50 characters)", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("\"" + new string('y', 40) + "...\" (50 characters)", StringComparison.Ordinal));
    }

    [Fact]
    public void Deep_block_and_flow_mappings_are_refused_the_same_way()
    {
        var flow = Load("a: " + string.Concat(Enumerable.Repeat("{a: ", 20_000)));
        Assert.Contains("nested deeper than 64 levels (Agent:Limits:MaxDepth)", OnlyError(flow));
        var block = Load(string.Concat(Enumerable.Range(0, 100).Select(i => new string(' ', i) + "k:\n")));
        Assert.Equal("hostile.yaml:65:65: nested deeper than 64 levels (Agent:Limits:MaxDepth)", OnlyError(block));
    }

    [Fact]
    public void Billion_laughs_is_refused_before_it_expands()
    {
        var text = new StringBuilder("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        for (var level = 'b'; level <= 'j'; level++)
            text.Append($"{level}: &{level} [{string.Join(",", Enumerable.Repeat($"*{(char)(level - 1)}", 9))}]\n");
        var (documents, allocated) = Measure(Encoding.UTF8.GetBytes(text.ToString()));
        Assert.Matches(@"^hostile\.yaml:\d+:\d+: this file has more than 100000 values and collections once aliases are expanded \(Agent:Limits:MaxNodes\)$", OnlyError(documents));
        Assert.True(allocated < 4 << 20, $"allocated {allocated} bytes");
    }

    [Fact]
    public void A_small_file_of_aliases_to_a_large_string_is_refused_cheaply()
    {
        // 120 KB: one 100 KB string and 5,000 aliases to it would be 500 MB once expanded.
        var text = "big: &big \"" + new string('x', 100_000) + "\"\nall: [" + string.Join(",", Enumerable.Repeat("*big", 5_000)) + "]\n";
        var (documents, allocated) = Measure(Encoding.UTF8.GetBytes(text));
        Assert.Equal("hostile.yaml:2:207: the values of this file exceed 4194304 bytes once aliases are expanded (Agent:Limits:MaxExpandedBytes)", OnlyError(documents));
        Assert.True(allocated < 8 << 20, $"allocated {allocated} bytes");
    }

    [Fact]
    public void Alias_count_is_limited_per_file()
    {
        var text = "a: &a x\nb: [" + string.Join(",", Enumerable.Repeat("*a", 1001)) + "]\n";
        Assert.Equal("hostile.yaml:2:3005: more than 1000 aliases in one file (Agent:Limits:MaxAliases)", OnlyError(Load(text)));
        Assert.DoesNotContain(Load(text, new ManifestLimits { MaxAliases = 2000 }).SelectMany(d => d.Errors), e => e.Message.Contains("aliases", StringComparison.Ordinal));
    }

    [Fact]
    public void Documents_per_file_are_limited_and_the_whole_file_is_refused()
    {
        var text = string.Join("---\n", Enumerable.Repeat(Group, 4));
        Assert.Equal("hostile.yaml:27:1: more than 3 documents in one file (Agent:Limits:MaxDocuments)",
            OnlyError(Load(text, new ManifestLimits { MaxDocuments = 3 })));
    }

    [Fact]
    public void A_value_longer_than_the_scalar_limit_is_refused_at_the_value()
    {
        var text = Group + "      command: [\"" + new string('y', 300_000) + "\"]\n";
        Assert.Equal("hostile.yaml:9:17: a value of 300000 bytes is longer than 262144 (Agent:Limits:MaxScalarBytes)", OnlyError(Load(text)));
    }

    [Fact]
    public void A_NUL_byte_is_an_error_at_its_line_and_column()
    {
        var text = Group + "      volumes: [\"/srv/a\0b:/data\"]\n";
        Assert.Equal("hostile.yaml:9:24: NUL byte (0x00) in the file: manifests must be UTF-8 text", OnlyError(Load(text)));
    }

    [Fact]
    public void An_escaped_NUL_in_a_bind_path_is_an_error_at_the_value_not_an_exception()
    {
        var text = Group + "      volumes: [\"/srv/a\\0b:/data\"]\n";
        Assert.Equal("hostile.yaml:9:17: a value contains a NUL character (\\0), which no name, path or value may hold", OnlyError(Load(text)));
    }

    [Fact]
    public void Invalid_UTF8_is_an_error_at_the_first_bad_byte()
    {
        var bytes = Encoding.UTF8.GetBytes(Group + "      hostname: caf").Concat(new byte[] { 0xC3, 0x28 }).Concat(Encoding.UTF8.GetBytes("\n")).ToArray();
        Assert.Equal("hostile.yaml:9:20: invalid UTF-8 (byte 0xC3 at offset 141): manifests must be UTF-8 text", OnlyError(Load(bytes)));
        var utf16 = Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes(Group)).ToArray();
        Assert.Equal("hostile.yaml:1:1: invalid UTF-8 (byte 0xFF at offset 0): manifests must be UTF-8 text", OnlyError(Load(utf16)));
    }

    [Fact]
    public void A_UTF8_byte_order_mark_is_skipped_and_multibyte_text_loads()
    {
        var bytes = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(Group.Replace("metadata:\n", "metadata:\n  annotations: { note: \"café ☕\" }\n", StringComparison.Ordinal))).ToArray();
        var document = Assert.Single(Load(bytes));
        Assert.True(document.IsValid, string.Join("\n", document.Errors));
    }

    [Fact]
    public void Limits_are_configurable()
    {
        var nested = "a: " + new string('[', 10) + new string(']', 10) + "\n";
        Assert.Contains("nested deeper than 5 levels", OnlyError(Load(nested, new ManifestLimits { MaxDepth = 5 })), StringComparison.Ordinal);
        Assert.DoesNotContain(Load(nested).SelectMany(d => d.Errors), e => e.Message.Contains("nested", StringComparison.Ordinal));
    }

    [Fact]
    public void Anchors_and_aliases_within_the_limits_load_as_before()
    {
        var text = "apiVersion: agent/v1\nkind: ServiceGroup\nmetadata:\n  name: web\nspec:\n  services:\n    - name: a\n      image: &img busybox:1.35\n      labels: &labels { tier: web }\n    - name: b\n      image: *img\n      labels: *labels\n";
        var document = Assert.Single(Load(text));
        Assert.True(document.IsValid, string.Join("\n", document.Errors));
    }

    [Fact]
    public void Nodes_are_counted_after_alias_expansion()
    {
        var many = Load("[" + string.Join(",", Enumerable.Repeat("a", 100_001)) + "]");
        Assert.Equal("hostile.yaml:1:200002: this file has more than 100000 values and collections once aliases are expanded (Agent:Limits:MaxNodes)", OnlyError(many));
        var aliased = "small: &s [" + string.Join(",", Enumerable.Repeat("a", 1000)) + "]\nall: [" + string.Join(",", Enumerable.Repeat("*s", 200)) + "]\n";
        Assert.Contains("(Agent:Limits:MaxNodes)", OnlyError(Load(aliased)), StringComparison.Ordinal);
    }

    [Fact]
    public void Request_bodies_of_the_run_and_job_APIs_have_the_same_limits()
    {
        var body = "{\"service\": " + new string('[', 30_000) + new string(']', 30_000) + "}";
        var admission = new AdmissionContext(p => p, _ => false);
        var (request, errors) = RunRequestParser.Parse(body, MemoryManifestFiles.Instance, SecurityPolicy.Default, admission);
        Assert.Null(request);
        Assert.Equal("request:1:76: nested deeper than 64 levels (Agent:Limits:MaxDepth)", Assert.Single(errors).ToString());
        var job = JobRequestParser.Parse(body, MemoryManifestFiles.Instance, SecurityPolicy.Default, admission);
        Assert.Equal("request:1:76: nested deeper than 64 levels (Agent:Limits:MaxDepth)", Assert.Single(job.Errors).ToString());
    }

    [Fact]
    public void Compose_files_are_parsed_within_the_same_limits()
    {
        var errors = new List<ManifestError>();
        Assert.Null(Agent.Core.Compose.ComposeYaml.Parse("compose.yaml", "services: " + new string('[', 30_000) + new string(']', 30_000), errors));
        Assert.Equal("compose.yaml:1:74: nested deeper than 64 levels (Agent:Limits:MaxDepth)", Assert.Single(errors).ToString());
    }
}
