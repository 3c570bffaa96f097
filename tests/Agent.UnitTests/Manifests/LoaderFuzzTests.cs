using System.Text;
using Agent.Core.Manifests;
using Agent.Core.Security;
using Xunit.Abstractions;

namespace Agent.UnitTests.Manifests;

/// <summary>
/// Random mutations of the corpus and generated hostile input (deep nesting, huge values, alias bombs, NUL, invalid
/// UTF-8, truncation at every byte): the loader never throws, every error has a location, and no load allocates more
/// than a bound proportional to its input. Deterministic: one seed, the same inputs on every run.
/// </summary>
public sealed class LoaderFuzzTests(ITestOutputHelper output)
{
    private const int Seed = 20261201;
    private const int Mutations = 3000;

    // Allocation bound of one load: a fixed part (the parser's buffers) plus a multiple of the input.
    private const long FixedAllocation = 8L << 20;
    private const long AllocationPerInputByte = 64;

    private static readonly string[] Tokens =
    [
        "[", "]", "{", "}", "&a ", "*a", "&b [*a,*a,*a,*a]", "---\n", "...\n", ": ", "- ", "\"", "'", "\\0", "\\x00", "|\n", ">-\n",
        "!!binary ", "!!str ", "!<tag:x> ", "? ", "%YAML 1.2\n", "%TAG ! tag:x:\n", "\t", "#", "<<: *a\n", "\n  ", "\r", "\uFEFF", "\u2028", "~", "null",
    ];

    private static readonly byte[][] RawBytes = [[0x00], [0xC3], [0xFF], [0xFE, 0xFF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0x80]];

    private sealed class Stats
    {
        public int Loads;
        public int Valid;
        public int Errors;
        public double WorstRatio;
        public string Worst = "";
    }

    [Fact]
    public void Mutated_corpus_files_never_crash_the_loader_and_stay_under_the_memory_bound()
    {
        var random = new Random(Seed);
        var corpus = CorpusFiles();
        var stats = new Stats();
        for (var i = 0; i < Mutations; i++)
        {
            var sample = corpus[random.Next(corpus.Count)];
            var bytes = sample.Content.ToList();
            var count = 1 + random.Next(4);
            for (var m = 0; m < count; m++) Mutate(bytes, random);
            Check($"mutation {i} of {sample.Name}", bytes.ToArray(), stats);
        }
        Report(stats);
        Assert.True(stats.Valid > 20 && stats.Errors > 1000, "the mutations should give both loadable and broken files");
    }

    [Fact]
    public void Generated_hostile_inputs_never_crash_the_loader_and_stay_under_the_memory_bound()
    {
        var stats = new Stats();
        foreach (var (name, content) in HostileInputs())
            Check(name, content, stats);
        Report(stats);
    }

    [Fact]
    public void A_sample_truncated_at_every_byte_never_crashes_the_loader()
    {
        var sample = CorpusFiles().Select(c => c.Content).Where(c => c.Length < 2000).MaxBy(c => c.Length)!;
        var multibyte = Encoding.UTF8.GetBytes("apiVersion: agent/v1\nkind: ServiceGroup\nmetadata:\n  name: web\n  annotations: { note: \"café ☕ 𝄞\" }\nspec:\n  services:\n    - name: web\n      image: busybox:1.35\n");
        var stats = new Stats();
        foreach (var whole in new[] { sample, multibyte })
            for (var length = 0; length <= whole.Length; length++)
                Check($"truncated at {length}", whole[..length], stats);
        Report(stats);
        Assert.True(stats.Valid > 0, "the whole sample, at least, loads");
    }

    private void Report(Stats stats) =>
        output.WriteLine($"{stats.Loads} loads: {stats.Valid} with objects, {stats.Errors} with errors; worst allocation {stats.WorstRatio:0.0} bytes per input byte ({stats.Worst})");

    private static void Check(string name, byte[] content, Stats stats)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        IReadOnlyList<ManifestDocument> documents;
        try
        {
            documents = ManifestParser.ParseFile("fuzz.yaml", content, MemoryManifestFiles.Instance, SecurityPolicy.Default);
            _ = ManifestSet.Build(documents).Objects;
        }
        catch (Exception e)
        {
            Assert.Fail($"{name}: the loader threw {e.GetType().Name}: {e.Message}\ninput: {Convert.ToBase64String(content)}");
            return;
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        var bound = FixedAllocation + AllocationPerInputByte * content.Length;
        Assert.True(allocated <= bound, $"{name}: allocated {allocated} bytes for {content.Length} bytes of input (bound {bound})");

        stats.Loads++;
        var ratio = (double)allocated / Math.Max(1, content.Length);
        if (content.Length > 1_000 && ratio > stats.WorstRatio) (stats.WorstRatio, stats.Worst) = (ratio, name);
        foreach (var document in documents)
        {
            Assert.True(document.IsValid || document.Errors.Count > 0, $"{name}: a document with neither an object nor errors");
            if (document.IsValid) stats.Valid++;
            foreach (var error in document.Errors)
            {
                stats.Errors++;
                Assert.True(error.File == "fuzz.yaml" && error.Line >= 1 && error.Column >= 1 && error.Message.Length > 0, $"{name}: error without a location: {error}");
            }
        }
    }

    private static void Mutate(List<byte> bytes, Random random)
    {
        var at = bytes.Count == 0 ? 0 : random.Next(bytes.Count + 1);
        switch (random.Next(7))
        {
            case 0 when bytes.Count > 0: // flip bits of one byte
                var i = random.Next(bytes.Count);
                bytes[i] ^= (byte)(1 << random.Next(8));
                break;
            case 1: // a YAML token
                bytes.InsertRange(at, Encoding.UTF8.GetBytes(Tokens[random.Next(Tokens.Length)]));
                break;
            case 2: // a byte that is not UTF-8, or NUL
                bytes.InsertRange(at, RawBytes[random.Next(RawBytes.Length)]);
                break;
            case 3 when bytes.Count > 0: // delete a range
                var start = random.Next(bytes.Count);
                bytes.RemoveRange(start, Math.Min(bytes.Count - start, 1 + random.Next(40)));
                break;
            case 4 when bytes.Count > 0: // repeat a range
                var from = random.Next(bytes.Count);
                var length = Math.Min(bytes.Count - from, 1 + random.Next(200));
                var slice = bytes.GetRange(from, length);
                for (var r = random.Next(1, 20); r > 0; r--) bytes.InsertRange(at, slice);
                break;
            case 5: // truncate
                if (bytes.Count > 0) bytes.RemoveRange(at == bytes.Count ? bytes.Count - 1 : at, bytes.Count - (at == bytes.Count ? bytes.Count - 1 : at));
                break;
            default: // a printable ASCII byte
                bytes.Insert(at, (byte)random.Next(32, 127));
                break;
        }
    }

    // The corpus holds broken and refused files; two valid ones make sure mutations also reach the object model.
    private const string ValidGroups = """
        apiVersion: agent/v1
        kind: ServiceGroup
        metadata: { name: web, labels: { team: a }, annotations: { note: "free text" } }
        spec:
          phase: core
          volumes: { data: null }
          services:
            - name: api
              image: &image busybox:1.35
              command: ["sleep", "3600"]
              env: { A: "1", B: two }
              ports: ["127.0.0.1:8081:8080"]
              volumes: ["data:/data", "/srv/www:/www:ro"]
              labels: &labels { tier: web }
              healthcheck: { test: ["CMD", "true"], interval: 5s, retries: 3 }
              update: { strategy: stop-first, rollbackOnFailure: true, healthTimeout: 30s }
              resources: { memory: 64Mi, cpus: 0.5 }
            - name: worker
              image: *image
              labels: *labels
              replicas: 2
              dependsOn: [{ service: api, condition: healthy }]
        ---
        apiVersion: agent/v1
        kind: ServiceGroup
        metadata:
          name: db
        spec:
          phase: foundation
          services:
            - name: db
              image: busybox:1.35
              command: sleep 3600
              restart: on-failure:3
              stopGracePeriod: 2s
        """;

    private static List<(string Name, byte[] Content)> CorpusFiles() =>
        new[] { "broken", "security" }
            .SelectMany(kind => Directory.GetFiles(CorpusCase.Folder(kind), "*.yaml"))
            .Order(StringComparer.Ordinal)
            .Select(f => (Path.GetFileName(f), File.ReadAllBytes(f)))
            .Append(("valid-groups.yaml", Encoding.UTF8.GetBytes(ValidGroups)))
            .Append(("valid-groups.yaml", Encoding.UTF8.GetBytes(ValidGroups)))
            .ToList();

    private static IEnumerable<(string Name, byte[] Content)> HostileInputs()
    {
        static byte[] U(string s) => Encoding.UTF8.GetBytes(s);
        const string group = "apiVersion: agent/v1\nkind: ServiceGroup\nmetadata:\n  name: web\nspec:\n  services:\n    - name: web\n      image: busybox:1.35\n";

        foreach (var depth in new[] { 63, 64, 65, 1_000, 30_000, 200_000 })
        {
            yield return ($"{depth} nested [", U(new string('[', depth) + new string(']', depth)));
            yield return ($"{depth} unclosed [", U(new string('[', depth)));
            yield return ($"{depth} nested {{", U(string.Concat(Enumerable.Repeat("{a: ", depth)) + "b" + new string('}', depth)));
            yield return ($"{depth} nested block sequences", U(string.Concat(Enumerable.Range(0, Math.Min(depth, 2_000)).Select(i => new string(' ', i) + "-\n"))));
            yield return ($"{depth} nested [ inside a group", U(group + "      command: " + new string('[', depth) + "\n"));
        }

        foreach (var size in new[] { 262_144, 262_145, 1 << 20 })
        {
            yield return ($"plain scalar of {size}", U("a: " + new string('x', size) + "\n"));
            yield return ($"quoted scalar of {size}", U("a: \"" + new string('x', size) + "\"\n"));
            yield return ($"block scalar of {size}", U("a: |\n" + string.Concat(Enumerable.Repeat("  " + new string('x', 1000) + "\n", size / 1000))));
            yield return ($"key of {size}", U(new string('k', size) + ": v\n"));
            yield return ($"command of {size} in a group", U(group + "      command: \"" + new string('x', size) + "\"\n"));
        }
        yield return ("a million one-character items", U("[" + string.Join(",", Enumerable.Repeat("a", 500_000)) + "]"));
        yield return ("100,000 keys", U(string.Concat(Enumerable.Range(0, 100_000).Select(i => $"k{i}: v\n"))));

        var laughs = new StringBuilder("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        for (var level = 'b'; level <= 'z'; level++)
            laughs.Append($"{level}: &{level} [{string.Join(",", Enumerable.Repeat($"*{(char)(level - 1)}", 9))}]\n");
        yield return ("billion laughs", U(laughs.ToString()));
        yield return ("aliases to a 100 KB string", U("big: &big \"" + new string('x', 100_000) + "\"\nall: [" + string.Join(",", Enumerable.Repeat("*big", 5_000)) + "]\n"));
        yield return ("aliases in every document", U(string.Concat(Enumerable.Repeat("a: &a \"" + new string('x', 10_000) + "\"\nb: [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n---\n", 100))));
        yield return ("alias to an unknown anchor", U("a: *nowhere\n"));
        yield return ("merge keys", U("base: &b { image: x }\nother:\n  <<: *b\n  <<: [*b, *b]\n"));
        yield return ("recursive anchor", U("a: &a [*a]\n"));

        yield return ("5,000 documents", U(string.Concat(Enumerable.Repeat("---\n" + group, 5_000))));
        yield return ("100,000 empty documents", U(string.Concat(Enumerable.Repeat("---\n", 100_000))));

        yield return ("raw NUL", U(group.Replace("busybox", "busy\0box", StringComparison.Ordinal)));
        yield return ("escaped NUL in a bind", U(group + "      volumes: [\"/srv/a\\0:/data\"]\n"));
        yield return ("escaped NUL in a name", U(group.Replace("name: web\nspec", "name: \"w\\0b\"\nspec", StringComparison.Ordinal)));
        yield return ("escaped NUL in env and labels", U(group + "      env: { \"A\\0\": \"b\\x00\" }\n      labels: { \"\\0\": x }\n"));
        yield return ("only NUL", new byte[4096]);
        foreach (var bad in RawBytes)
        {
            yield return ($"bytes {Convert.ToHexString(bad)} at the start", [.. bad, .. U(group)]);
            yield return ($"bytes {Convert.ToHexString(bad)} in a value", [.. U(group + "      hostname: a"), .. bad, .. U("\n")]);
            yield return ($"bytes {Convert.ToHexString(bad)} at the end", [.. U(group), .. bad]);
        }
        yield return ("UTF-16", [.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes(group)]);
        yield return ("UTF-32", [.. Encoding.UTF32.GetPreamble(), .. Encoding.UTF32.GetBytes(group)]);
        yield return ("random bytes", RandomBytes(new Random(Seed), 100_000));
        yield return ("control characters", U(group + "      hostname: \"\u0001\u0007\u001b[31m\"\n"));
        yield return ("tags", U("!!binary a: !!int b\n!<tag:yaml.org,2002:map> c: !!float x\n"));
        yield return ("directives", U("%YAML 1.1\n%TAG !x! tag:x,2000:\n--- !x!y\na: b\n"));
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
