; Drush makefile for a Drupal 7 platform (test data).
core = 7.x
api = 2

projects[drupal][version] = 7.96

projects[views][version] = 3.14
projects[views][subdir] = contrib
projects[ctools] = 1.21
projects[] = token
projects[admin_menu][download][type] = git
projects[admin_menu][download][branch] = 7.x-3.x
projects[admin_menu][download][revision] = 0123456789abcdef
projects[mytheme][type] = theme
projects[mytheme][version] = "7.x-2.0-beta2"

# Libraries have no Drupal.org version; they are not packages here.
libraries[ckeditor][download][type] = get
libraries[ckeditor][download][url] = https://example.org/ckeditor.zip
