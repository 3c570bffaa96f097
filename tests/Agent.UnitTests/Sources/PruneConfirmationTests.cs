using Agent.Core.Sources;

namespace Agent.UnitTests.Sources;

/// <summary>probe-26 F6: a confirmation names the objects the admin saw held; anything else in the body is an error at its field.</summary>
public sealed class PruneConfirmationTests
{
    [Fact]
    public void A_body_naming_objects_gives_them_once_each()
    {
        var (objects, error) = PruneConfirmation.Parse("""{"objects": ["ServiceGroup/a", "ComposeProject/b", "ServiceGroup/a"]}""");
        Assert.Null(error);
        Assert.Equal(["ComposeProject/b", "ServiceGroup/a"], objects!.Order(StringComparer.Ordinal));
        Assert.Empty(PruneConfirmation.Parse("""{"objects": []}""").Objects!); // matches no held set: a 409, nothing confirmed
    }

    [Theory]
    [InlineData("[]", "the body must be an object")]
    [InlineData("{}", "objects: required")]
    [InlineData("""{"object": ["ServiceGroup/a"]}""", "object: unknown field")]
    [InlineData("""{"objects": "ServiceGroup/a"}""", "objects: must be a list")]
    [InlineData("""{"objects": ["a"]}""", "objects: each is \"Kind/name\"")]
    [InlineData("""{"objects": [1]}""", "objects: each is \"Kind/name\"")]
    [InlineData("""{"objects": [""]}""", "objects: each is \"Kind/name\"")]
    [InlineData("""{"objects": [], "objects": []}""", "objects: given twice")]
    [InlineData("""{"objects": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}""", "the body is not a confirmation")]
    public void Anything_else_is_an_error_naming_the_field(string body, string error)
    {
        var (objects, problem) = PruneConfirmation.Parse(body);
        Assert.Null(objects);
        Assert.StartsWith(error, problem);
    }
}
