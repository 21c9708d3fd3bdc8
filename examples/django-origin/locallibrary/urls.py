"""The project's URLs, as in the MDN tutorial: the catalog at /catalog/, / redirects
there (301, as the Worker answers), accounts/ is django.contrib.auth.urls
(login, logout, password change/reset), and the admin.

Nothing is served under /static/: the Worker serves it (README.md here).
"""
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path('admin/', admin.site.urls),
    path('catalog/', include('catalog.urls')),
    path('', RedirectView.as_view(url='/catalog/', permanent=True)),
    path('accounts/', include('django.contrib.auth.urls')),
]
