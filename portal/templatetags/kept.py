"""{% kept "name" value ... %}…{% endkept %}: a part of the layout rendered once per tenant
and values, then served from the process's memory (portal.page_cache.kept_fragment)."""

from django import template
from django.utils.safestring import mark_safe

from portal.page_cache import kept_fragment

register = template.Library()


class KeptNode(template.Node):
    def __init__(self, name, vary, nodelist):
        self.name, self.vary, self.nodelist = name, vary, nodelist
        self._nodes_by_type = {}

    def get_nodes_by_type(self, nodetype):
        # Every page's {% extends %} looks for the blocks of the whole base layout on every
        # request (django.template.loader_tags.ExtendsNode.render), most of it in the kept
        # parts; what a compiled part holds never changes, so it is looked for once.
        found = self._nodes_by_type.get(nodetype)
        if found is None:
            found = self._nodes_by_type[nodetype] = super().get_nodes_by_type(nodetype)
        return found

    def render(self, context):
        request = context.get("request")
        if request is None:
            return self.nodelist.render(context)
        vary = tuple(value.resolve(context) for value in self.vary)
        return mark_safe(kept_fragment(request, self.name, vary, lambda: self.nodelist.render(context)))


@register.tag
def kept(parser, token):
    """The part's name (a literal) and what else it depends on, e.g.
    ``{% kept "menu" user.is_authenticated current_url_name %}``: never anything of one user
    beyond such values."""
    bits = token.split_contents()
    if len(bits) < 2 or bits[1][0] not in ("'", '"') or bits[1][0] != bits[1][-1]:
        raise template.TemplateSyntaxError("{% kept %} takes a quoted name, then the values it varies on")
    nodelist = parser.parse(("endkept",))
    parser.delete_first_token()
    return KeptNode(bits[1][1:-1], [parser.compile_filter(bit) for bit in bits[2:]], nodelist)
