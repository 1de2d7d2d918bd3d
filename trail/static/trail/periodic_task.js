// django-celery-beat's periodic task form: shows the crontab chosen in words under the field.
// Moved out of the page (it was an inline script) for the Content-Security-Policy.
(function ($) {
  "use strict";
  var readableCrontabs = JSON.parse($("#readable-crontabs").text());
  var originalCrontabHelp = $("#crontab-help-original").attr("data-help") || "";
  var updateCrontabHelp = function (additional) {
    var help = $(".field-crontab .help");
    help.text(originalCrontabHelp);
    help.append($("<br>"), document.createTextNode("Translation: " + (additional || "")));
  };
  $(".field-crontab_translation").hide();
  $(".field-crontab").change(function () {
    updateCrontabHelp(readableCrontabs[$("#id_crontab").val()]);
  });
})(django.jQuery);
