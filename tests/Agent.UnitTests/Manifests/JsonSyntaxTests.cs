using Agent.Core.Manifests;
using Agent.Core.Security;

namespace Agent.UnitTests.Manifests;

/// <summary>fix21b: a malformed JSON body names the line, column (characters, 1-based) and field of the body as sent. The run
/// and job parsers read JSON as YAML, which put a one-line body's error at "line 2, column 1" (its end of stream).</summary>
public sealed class JsonSyntaxTests
{
    private static JsonSyntaxError Error(string body)
    {
        var error = JsonSyntax.Check(body);
        Assert.True(error is not null, $"no error for {body}");
        return error;
    }

    [Fact]
    public void A_one_line_body_names_the_column_of_the_first_byte_that_is_not_json_and_its_field()
    {
        var body = """{"name": "x", "container": {"image": }""";
        var error = Error(body);
        Assert.Equal((1, body.IndexOf('}') + 1, "container.image"), (error.Line, error.Column, error.Path));
        Assert.Equal("container.image: invalid JSON at line 1, column 38: '}' is an invalid start of a value", error.ToString());
    }

    [Theory]
    [InlineData("{\"name\": \"x\" // a comment\n}")]
    [InlineData("{\"name\": \"x\",}")]
    [InlineData("[1,]")]
    public void Comments_and_trailing_commas_are_refused_without_the_readers_advice_to_programmers(string body)
    {
        // probe-38: "... not supported in this mode. Change the reader options" reached API clients.
        var error = Error(body).ToString();
        Assert.DoesNotContain("reader options", error, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("this mode", error, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("invalid JSON at line", error);
    }

    [Fact]
    public void A_multi_line_body_names_the_line_and_the_column_in_it()
    {
        var error = Error("{\n  \"name\": \"x\",\n  \"container\": {\n    \"image\": \n  }\n}");
        Assert.Equal((5, 3, "container.image"), (error.Line, error.Column, error.Path));
        error = Error("{\r\n  \"name\": \"x\",\r\n  \"container\": {\"command\": [\"sh\", ]}\r\n}");
        Assert.Equal((3, "  \"container\": {\"command\": [\"sh\", ]".IndexOf(']') + 1, "container.command"), (error.Line, error.Column, error.Path));
    }

    [Fact]
    public void A_truncated_body_ends_where_it_was_cut_and_names_the_bracket_left_open()
    {
        var body = """{"name": "x", "container": {"image": "busybox:1.35" """.TrimEnd();
        var error = Error(body);
        Assert.Equal((1, body.Length + 1, "container"), (error.Line, error.Column, error.Path));
        Assert.Equal("the body ends before the '{' at line 1, column 28 is closed with '}'", error.Message);

        var cut = "{\"name\": \"x\",\n \"contai";
        error = Error(cut);
        Assert.Equal(2, error.Line);
        Assert.InRange(error.Column, 2, " \"contai".Length + 1); // within the cut name, never past the end or on a line that is not there
        Assert.Equal("", error.Path);
    }

    [Fact]
    public void Trailing_garbage_after_the_object_is_named_where_it_starts()
    {
        var body = """{"name": "x"} trailing""";
        var error = Error(body);
        Assert.Equal((1, body.IndexOf('t') + 1, ""), (error.Line, error.Column, error.Path));
        error = Error("""{"a": 1}{"b": 2}""");
        Assert.Equal((1, 9), (error.Line, error.Column));
        error = Error("{\"a\": 1}\n\nx");
        Assert.Equal((3, 1), (error.Line, error.Column));
    }

    [Fact]
    public void Columns_count_characters_not_bytes_and_a_byte_order_mark_is_not_one()
    {
        var body = """{"name": "ü€ö", "x": }""";
        Assert.Equal(body.IndexOf('}') + 1, Error(body).Column);
        var withBom = System.Text.Encoding.UTF8.GetPreamble().Concat(System.Text.Encoding.UTF8.GetBytes(body)).ToArray();
        Assert.Equal(body.IndexOf('}') + 1, JsonSyntax.Check(withBom)!.Column);
        Assert.Null(JsonSyntax.Check(System.Text.Encoding.UTF8.GetPreamble().Concat("{}"u8.ToArray()).ToArray()));
    }

    [Fact]
    public void Fields_are_named_through_lists_and_only_while_the_error_is_in_their_value()
    {
        Assert.Equal("service.ports[1].target", Error("""{"service": {"ports": [{"target": 1}, {"target": }]}}""").Path);
        Assert.Equal("command", Error("""{"command": ["sh", ]}""").Path);
        Assert.Equal("", Error("""{"name": "x", }""").Path); // after a complete value: in no field
        Assert.Equal("", Error("""{"name": "x" "image": "y"}""").Path);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  \n ")]
    public void An_empty_body_is_named_as_empty(string body)
    {
        var error = Error(body);
        Assert.Equal((1, 1), (error.Line, error.Column));
        Assert.Contains("the body is empty", error.Message);
    }

    [Theory]
    [InlineData("""{"name": "x", "container": {"image": "busybox:1.35", "command": ["sh", "-c", "echo hi"]}}""")]
    [InlineData("{\n\t\"a\": [1, 2.5e3, true, false, null, \"\\u00fc\"]\n}\n")]
    [InlineData("[]")]
    public void Json_passes(string body) => Assert.Null(JsonSyntax.Check(body));

    [Fact]
    public void Nesting_is_left_to_the_parsers_limits()
    {
        var deep = "{\"service\": " + new string('[', 30_000) + new string(']', 30_000) + "}";
        Assert.Null(JsonSyntax.Check(deep));
    }

    [Fact]
    public void The_run_and_job_parsers_report_the_position_of_the_body_as_sent()
    {
        var admission = new AdmissionContext(p => p, _ => false);
        var (run, errors) = RunRequestParser.Parse("""{"service": {"name": "w", "image": }""", MemoryManifestFiles.Instance, SecurityPolicy.Default, admission);
        Assert.Null(run);
        Assert.Equal("request:1:36: service.image: invalid JSON at line 1, column 36: '}' is an invalid start of a value", Assert.Single(errors).ToString());

        var job = JobRequestParser.Parse("""{"name": "x", "container": {"image": }""", MemoryManifestFiles.Instance, SecurityPolicy.Default, admission);
        Assert.Null(job.Request);
        var error = Assert.Single(job.Errors);
        Assert.Equal((1, 38, "container.image"), (error.Line, error.Column, error.Path));

        job = JobRequestParser.Parse("{\"name\": \"x\",\n \"container\": {\"image\": \"busybox:1.35\"}} x", MemoryManifestFiles.Instance, SecurityPolicy.Default, admission);
        error = Assert.Single(job.Errors);
        Assert.Equal((2, 42), (error.Line, error.Column));

        // A field given twice names its field and where its second value is (probe-38: field "", YAML's own position).
        (_, errors) = RunRequestParser.Parse("""{"service": {"name": "w", "name": "v", "image": "busybox:1.35"}}""", MemoryManifestFiles.Instance, SecurityPolicy.Default, admission);
        var duplicate = Assert.Single(errors);
        Assert.Equal((1, 27, "service.name"), (duplicate.Line, duplicate.Column, duplicate.Path));
        Assert.Contains("duplicate field \"name\"", duplicate.Message);
    }

    [Theory]
    [InlineData("""{"image": "a", "image": "b"}""", 1, 16, "image")]
    [InlineData("{\"service\": {\"env\": {\"A\": \"1\",\n  \"A\": \"2\"}}}", 2, 3, "service.env.A")]
    [InlineData("""{"ports": [{"target": 1}, {"target": 2, "target": 3}]}""", 1, 41, "ports[1].target")]
    public void A_field_given_twice_in_one_object_is_refused_where_its_second_value_is(string body, int line, int column, string path)
    {
        var error = Error(body);
        Assert.Equal((line, column, path), (error.Line, error.Column, error.Path));
        Assert.Contains("duplicate field", error.Message);
    }

    [Fact]
    public void The_same_field_in_two_objects_is_no_duplicate()
    {
        Assert.Null(JsonSyntax.Check("""{"a": {"name": 1}, "b": {"name": 2}, "c": [{"name": 3}, {"name": 4}]}"""));
    }

    [Fact]
    public void Text_that_is_not_utf8_or_an_escape_that_is_no_character_is_named_where_it_is_not_taken_for_a_wrong_type()
    {
        // probe-62: a body with invalid UTF-8 in the name answered "name: must be a string".
        byte[] body = [.. "{\"image\": \"busybox\",\n \"name\": \"ab"u8, 0xC3, 0x28, .. "\"}"u8];
        var error = JsonSyntax.Check(body);
        Assert.NotNull(error);
        Assert.Equal("name: invalid JSON at line 2, column 10: the text is not UTF-8: send the body as UTF-8", error.ToString());

        byte[] key = [.. "{\"na"u8, 0xFF, .. "me\": 1}"u8];
        Assert.Equal("invalid JSON at line 1, column 2: a field name is not UTF-8: send the body as UTF-8", JsonSyntax.Check(key)!.ToString());

        var surrogate = JsonSyntax.Check("{\"cmd\": [\"ok\", \"\\ud800\"]}");
        Assert.Equal("cmd[1]: invalid JSON at line 1, column 16: the text has a \\u escape that is no character (half of a surrogate pair)", surrogate!.ToString());
        Assert.Null(JsonSyntax.Check("{\"cmd\": [\"\\ud83d\\ude00 caf\u00e9\"]}"));
    }
}
