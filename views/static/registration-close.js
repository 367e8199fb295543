// Tells Moodle the registration window can close (LTI Dynamic Registration, "org.imsglobal.lti.close").
(function () {
  var target = document.currentScript && document.currentScript.getAttribute('data-target');
  (window.opener || window.parent).postMessage({ subject: 'org.imsglobal.lti.close' }, target || '*');
})();
