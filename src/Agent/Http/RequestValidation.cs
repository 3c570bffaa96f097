using Agent.Core.Security;

namespace Agent.Http;

/// <summary>Ids, names and query values checked before any engine call: a control character (NUL) is a 400, an id the
/// engine could never have made (an encoded '/', '..', spaces) is a 404, and neither reaches the engine.</summary>
public static class RequestValidation
{
    /// <summary>For every API route: no route or query value may carry a control character, and no query key is one the
    /// route does not take or is given twice (<see cref="QueryKeys"/>).</summary>
    public static RouteGroupBuilder WithRequestValidation(this RouteGroupBuilder group)
    {
        group.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            foreach (var (name, value) in http.Request.RouteValues)
                if (value is string text && ControlCharacters.In(text))
                    return ApiProblems.BadRequest($"{name} contains a control character (a NUL, a line break or another): not a valid value");
            foreach (var (name, values) in http.Request.Query)
                if (values.Any(ControlCharacters.In))
                    return ApiProblems.BadRequest($"query parameter {name} contains a control character (a NUL, a line break or another): not a valid value");
            if (QueryKeys.Problem(http) is { } keys) return keys;
            return await next(context);
        });
        return group;
    }

    /// <summary>For /containers/{id}: an id that cannot name a container answers 404 without asking the engine.</summary>
    public static async ValueTask<object?> ContainerId(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (context.HttpContext.Request.RouteValues.TryGetValue("id", out var value) && value is string id)
        {
            switch (Identifiers.Container(id))
            {
                case IdentifierCheck.Malformed: return ApiProblems.BadRequest("the container id contains a control character (a NUL, a line break or another)");
                case IdentifierCheck.CannotExist: return ApiProblems.ContainerNotFound(id);
            }
        }
        return await next(context);
    }
}
