using Agent.Core.Manifests;
using Agent.Core.Model;
using Agent.Core.Planning;
using Agent.Core.Security;
using Agent.Sources;

namespace Agent.UnitTests.Build;

/// <summary>A ServiceGroup service's build: read, confined and hashed from a real folder (the same code reads compose's).</summary>
public sealed class BuildSpecTests : IDisposable
{
    private readonly DirectoryInfo root = Directory.CreateTempSubdirectory("agent-build-");
    private readonly DirectoryInfo outside = Directory.CreateTempSubdirectory("agent-build-outside-");

    public void Dispose()
    {
        root.Delete(recursive: true);
        outside.Delete(recursive: true);
    }

    private void Write(string file, string text)
    {
        var path = Path.Combine(root.FullName, file);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private ManifestSet Load(string build, string extra = "", SecurityOptions? options = null)
    {
        Write("apps/g.yaml", $"apiVersion: agent/v1\nkind: ServiceGroup\nmetadata:\n  name: g\nspec:\n  services:\n    - name: web\n      build: {build}\n{extra}");
        return new ManifestFolder(root.FullName).Load(new SecurityPolicy(options ?? new SecurityOptions()));
    }

    private BuildSpec Built(string build, string extra = "")
    {
        var set = Load(build, extra);
        Assert.Empty(set.Errors);
        var container = set.Objects.Values.OfType<ServiceGroup>().Single(g => g.Spec.Services.Any(s => s.Container.Build is not null)).Spec.Services.Single().Container;
        return container.Build!;
    }

    private ManifestError Refused(string build, SecurityOptions? options = null)
    {
        var set = Load(build, options: options);
        Assert.Empty(set.Objects);
        return Assert.Single(set.Errors);
    }

    private void Context(string folder = "apps/web")
    {
        Write($"{folder}/Dockerfile", "FROM busybox:1.35\nCOPY msg.txt /\n");
        Write($"{folder}/msg.txt", "one\n");
    }

    [Fact]
    public void A_context_path_builds_an_image_named_after_the_group_and_service()
    {
        Context();
        var set = Load("./web");
        Assert.Empty(set.Errors);
        var container = ((ServiceGroup)set.Objects.Values.Single()).Spec.Services.Single().Container;
        Assert.Equal("g-web", container.Image);
        Assert.Equal(Path.Combine(root.FullName, "apps/web"), container.Build!.Context);
        Assert.Equal("Dockerfile", container.Build.Dockerfile);
        Assert.Equal(16, container.Build.ContextDigest.Length);
    }

    [Fact]
    public void The_mapping_form_reads_every_field_and_an_image_names_the_build()
    {
        Write("apps/web/build/app.Dockerfile", "FROM busybox:1.35\n");
        var build = Built("{ context: web, dockerfile: build/app.Dockerfile, args: { VERSION: 2 }, target: runtime, labels: { team: web } }",
            "      image: shop/web:1\n");
        Assert.Equal("build/app.Dockerfile", build.Dockerfile);
        Assert.Equal("2", build.Args["VERSION"]);
        Assert.Equal("runtime", build.Target);
        Assert.Equal("web", build.Labels["team"]);
    }

    [Fact]
    public void An_inline_Dockerfile_needs_no_file_and_is_part_of_the_hash()
    {
        Directory.CreateDirectory(Path.Combine(root.FullName, "apps/empty"));
        var one = Built("{ context: empty, dockerfileInline: \"FROM busybox:1.35\" }");
        var two = Built("{ context: empty, dockerfileInline: \"FROM busybox:latest\" }");
        Assert.Equal(BuildSpec.InlineDockerfileName, one.Dockerfile);
        Assert.NotEqual(one.ContextDigest, two.ContextDigest);
    }

    [Fact]
    public void An_inline_Dockerfile_without_a_context_is_built_alone_so_other_files_of_the_folder_change_nothing()
    {
        Write("apps/other.yaml", "apiVersion: agent/v1\nkind: ServiceGroup\nmetadata:\n  name: other\nspec:\n  services:\n    - name: a\n      image: busybox:1.35\n");
        Write("apps/app.env", "PASSWORD=x\n");
        var before = Built("{ dockerfileInline: \"FROM busybox:1.35\" }");
        Assert.Null(before.Context);
        Assert.Equal(BuildSpec.InlineDockerfileName, before.Dockerfile);
        Assert.Equal(Agent.Core.Build.BuildSpecs.InlineOnlyHash("FROM busybox:1.35")[..16], before.ContextDigest);

        Write("apps/other.yaml", "apiVersion: agent/v1\nkind: ServiceGroup\nmetadata:\n  name: other\nspec:\n  services:\n    - name: a\n      image: busybox:latest\n");
        Write("apps/app.env", "PASSWORD=y\n");
        Assert.Equal(before.ContextDigest, Built("{ dockerfileInline: \"FROM busybox:1.35\" }").ContextDigest);
        Assert.NotEqual(before.ContextDigest, Built("{ dockerfileInline: \"FROM busybox:latest\" }").ContextDigest);

        // An explicit context keeps it: the folder is sent, and its files are in the hash.
        var withContext = Built("{ context: ., dockerfileInline: \"FROM busybox:1.35\" }");
        Assert.Equal(Path.Combine(root.FullName, "apps"), withContext.Context);
        Write("apps/app.env", "PASSWORD=z\n");
        Assert.NotEqual(withContext.ContextDigest, Built("{ context: ., dockerfileInline: \"FROM busybox:1.35\" }").ContextDigest);
        Assert.Contains(Load("{ dockerfile: Dockerfile, dockerfileInline: \"FROM x\" }").Errors, e => e.Message.Contains("cannot be used together"));
    }

    [Fact]
    public async Task The_context_of_an_inline_Dockerfile_alone_holds_only_the_Dockerfile_and_hashes_as_the_spec_says()
    {
        await using var tar = await Agent.Engine.BuildContext.TarAsync(null, BuildSpec.InlineDockerfileName, "FROM busybox:1.35", CancellationToken.None);
        using var reader = new System.Formats.Tar.TarReader(tar);
        var entry = reader.GetNextEntry();
        Assert.Equal(BuildSpec.InlineDockerfileName, entry!.Name);
        Assert.Null(reader.GetNextEntry());
        var empty = Directory.CreateDirectory(Path.Combine(root.FullName, "empty"));
        Assert.Equal(Agent.Engine.BuildContext.Hash(empty.FullName, BuildSpec.InlineDockerfileName, "FROM busybox:1.35"),
            Agent.Core.Build.BuildSpecs.InlineOnlyHash("FROM busybox:1.35"));
    }

    [Fact]
    public void Editing_a_context_file_changes_the_spec_hash_and_an_ignored_file_does_not()
    {
        Context();
        Write("apps/web/.dockerignore", "*.log\n");
        var before = Built("web");
        Write("apps/web/debug.log", "noise");
        Assert.Equal(SpecHash.Of(new ContainerSpec { Image = "g-web", Build = before }), SpecHash.Of(new ContainerSpec { Image = "g-web", Build = Built("web") }));
        Write("apps/web/msg.txt", "two\n");
        var after = Built("web");
        Assert.NotEqual(before.ContextDigest, after.ContextDigest);
        Assert.NotEqual(SpecHash.Of(new ContainerSpec { Image = "g-web", Build = before }), SpecHash.Of(new ContainerSpec { Image = "g-web", Build = after }));
    }

    [Fact]
    public void Args_and_target_change_the_build_hash_the_image_carries()
    {
        Context();
        var plain = Built("web");
        var withArg = Built("{ context: web, args: { A: \"1\" } }");
        var withTarget = Built("{ context: web, target: t }");
        Assert.Equal(3, new[] { plain, withArg, withTarget }.Select(Core.Build.BuildSpecs.Hash).Distinct().Count());
        Assert.Equal(plain.ContextDigest, withArg.ContextDigest); // same files: only the build hash differs
    }

    [Theory]
    [InlineData("../..", "outside the manifests folder")]
    [InlineData("/etc", "outside the manifests folder")]
    [InlineData("https://github.com/x/y.git", "remote build context")]
    [InlineData("git@github.com:x/y.git", "remote build context")]
    [InlineData("missing", "not found")]
    public void A_context_outside_remote_or_missing_is_an_error_at_the_field(string context, string message)
    {
        var error = Refused(context);
        Assert.Equal("spec.services[0].build", error.Path);
        Assert.Equal("apps/g.yaml", error.File);
        Assert.Equal(8, error.Line);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void A_symlink_out_of_the_manifests_folder_is_refused_as_a_context()
    {
        File.WriteAllText(Path.Combine(outside.FullName, "Dockerfile"), "FROM busybox:1.35\n");
        Directory.CreateDirectory(Path.Combine(root.FullName, "apps"));
        File.CreateSymbolicLink(Path.Combine(root.FullName, "apps", "linked"), outside.FullName);
        var error = Refused("{ context: linked }");
        Assert.Equal("spec.services[0].build.context", error.Path);
        Assert.Contains("through a symlink", error.Message);
    }

    [Fact]
    public void An_allowed_file_root_may_hold_the_context()
    {
        File.WriteAllText(Path.Combine(outside.FullName, "Dockerfile"), "FROM busybox:1.35\n");
        var set = Load(outside.FullName, options: new SecurityOptions { AllowedFileRoots = [outside.FullName] });
        Assert.Empty(set.Errors);
    }

    [Theory]
    [InlineData("{ context: web, dockerfile: ../../Dockerfile }", "build.dockerfile", "inside the build context")]
    [InlineData("{ context: web, dockerfile: /etc/Dockerfile }", "build.dockerfile", "inside the build context")]
    [InlineData("{ context: web, dockerfile: Other }", "build.dockerfile", "no Other in the build context")]
    [InlineData("{ context: web, dockerfile: Dockerfile, dockerfileInline: \"FROM x\" }", "build.dockerfileInline", "cannot be used together")]
    [InlineData("{ context: web, unknown: 1 }", "build.unknown", "unknown")]
    public void Dockerfile_problems_name_their_field(string build, string field, string message)
    {
        Context();
        var error = Refused(build);
        Assert.Equal("spec.services[0]." + field, error.Path);
        Assert.Contains(message, error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("{ context: web, dockerfile: Linked }", "build.dockerfile", "Linked")]
    [InlineData("{ context: web, dockerfile: sub/Dockerfile }", "build.dockerfile", "sub/Dockerfile")]
    [InlineData("{ context: linkedtop }", "build.context", "Dockerfile")]
    public void A_dockerfile_that_is_a_link_or_under_a_linked_folder_is_refused_when_the_manifest_is_read(string build, string field, string named)
    {
        // probe-37: `agent validate` passed these; the build refused them later (the tar holds the link, not the file).
        Context();
        File.CreateSymbolicLink(Path.Combine(root.FullName, "apps/web/Linked"), "Dockerfile");
        Directory.CreateDirectory(Path.Combine(root.FullName, "apps/web/real"));
        File.WriteAllText(Path.Combine(root.FullName, "apps/web/real/Dockerfile"), "FROM busybox:1.35\n");
        Directory.CreateSymbolicLink(Path.Combine(root.FullName, "apps/web/sub"), "real");
        Directory.CreateDirectory(Path.Combine(root.FullName, "apps/linkedtop"));
        File.CreateSymbolicLink(Path.Combine(root.FullName, "apps/linkedtop/Dockerfile"), "../web/Dockerfile");

        var error = Refused(build);

        Assert.Equal("spec.services[0]." + field, error.Path);
        Assert.Contains($"{named} in the build context is a symbolic link or lies under one", error.Message);
    }

    [Fact]
    public void A_context_over_the_size_limit_is_an_error_naming_the_setting()
    {
        Context();
        Write("apps/web/big.bin", new string('x', 4096));
        var error = Refused("web", new SecurityOptions { MaxBuildContextBytes = 1024 });
        Assert.Contains("Agent:Security:MaxBuildContextBytes", error.Message);
    }

    [Fact]
    public void The_built_image_name_passes_the_security_policy_like_any_image()
    {
        Context();
        var set = Load("web", options: new SecurityOptions { AllowedImages = ["busybox:*"] });
        Assert.Empty(set.Objects);
        Assert.Contains("image \"g-web\" is not in the allowed list", Assert.Single(set.Errors).Message);
        Assert.Empty(Load("web", options: new SecurityOptions { AllowedImages = ["g-*", "busybox:*"] }).Errors);
    }

    [Fact]
    public void The_images_a_Dockerfile_builds_from_pass_the_image_allowlist_too()
    {
        Write("apps/web/Dockerfile", "ARG BASE=busybox:1.35\nFROM ${BASE}\nCOPY --from=alpine:3 /etc/os-release /\n");
        var options = new SecurityOptions { AllowedImages = ["g-*", "busybox:*"] };
        var error = Refused("web", options);
        Assert.Equal("spec.services[0].build", error.Path);
        Assert.Contains("Dockerfile line 3: COPY --from image \"alpine:3\" is not in the allowed list", error.Message);

        Write("apps/web/Dockerfile", "FROM busybox:1.35\n");
        Assert.Empty(Load("web", options: options).Errors);
        Assert.Contains("the inline Dockerfile line 1: FROM image \"alpine\" is not in the allowed list",
            Refused("{ context: web, dockerfileInline: \"FROM alpine\" }", options).Message);
        var cache = new ManifestFolder(root.FullName);
        Write("apps/shop/compose.yaml", "services:\n  web:\n    build: { context: ../web, cache_from: [\"evil:cache\"] }\n");
        Assert.Contains(cache.Load(new SecurityPolicy(options)).Errors, e => e.Message.Contains("cache_from image \"evil:cache\" is not in the allowed list"));
        File.Delete(Path.Combine(root.FullName, "apps/shop/compose.yaml"));
        Assert.Contains("FROM image \"evil:1\"", Refused("{ context: web, args: { BASE: evil:1 }, dockerfileInline: \"ARG BASE=busybox:1.35\\nFROM $BASE\" }", options).Message);
    }

    [Fact]
    public void Neither_image_nor_build_is_an_error_and_jobs_do_not_build()
    {
        Write("apps/g.yaml", "apiVersion: agent/v1\nkind: ServiceGroup\nmetadata:\n  name: g\nspec:\n  services:\n    - name: web\n      command: [x]\n");
        Assert.Contains("(or \"build\")", Assert.Single(new ManifestFolder(root.FullName).Load(SecurityPolicy.Default).Errors).Message);
        Context();
        Write("apps/g.yaml", "apiVersion: agent/v1\nkind: Job\nmetadata:\n  name: j\nspec:\n  container:\n    image: j\n    build: web\n");
        Assert.Contains("jobs do not build", Assert.Single(new ManifestFolder(root.FullName).Load(SecurityPolicy.Default).Errors).Message);
    }

    [Fact]
    public void A_builder_step_is_the_dockerfile_instruction_it_ran_counting_every_stage_and_skipping_comments_and_continuations()
    {
        const string dockerfile = "# syntax comment\nFROM busybox:1.35 AS base\n\nRUN echo a \\\n  && echo b\n# a comment\nFROM base\nRUN exit 7\n";
        Assert.Equal((2, "FROM"), Agent.Core.Build.DockerfileLines.AtStep(dockerfile, 1) is { } s1 ? (s1.Line, s1.Keyword) : default);
        Assert.Equal((4, "RUN"), Agent.Core.Build.DockerfileLines.AtStep(dockerfile, 2) is { } s2 ? (s2.Line, s2.Keyword) : default);
        Assert.Equal((8, "RUN", "exit 7"), Agent.Core.Build.DockerfileLines.AtStep(dockerfile, 4) is { } s4 ? (s4.Line, s4.Keyword, s4.Rest) : default);
        Assert.Null(Agent.Core.Build.DockerfileLines.AtStep(dockerfile, 5)); // the LABEL step the engine adds for the build's labels
        Assert.Null(Agent.Core.Build.DockerfileLines.AtStep(dockerfile, 0));
    }
}
